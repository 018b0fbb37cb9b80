{#- One row per quote day: how concentrated the 0DTE open interest is. Shares, HHI and
    top-k shares are null on a day whose total 0DTE OI is 0; strike_spacing is the day's modal
    gap between consecutive listed strikes (ties: the smaller gap). -#}

with

strikes as (

    select * from {{ ref('oi_concentration') }}
    where {{ partition_window_filter('quote_date') }}

),

gaps as (

    select
        quote_date,
        strike - lag(strike) over (partition by quote_date order by strike) as gap

    from strikes

),

spacing as (

    select quote_date, gap as strike_spacing
    from (
        select quote_date, gap, count(*) as n_gaps
        from gaps
        where gap is not null
        group by quote_date, gap
    )
    qualify row_number() over (partition by quote_date order by n_gaps desc, gap asc) = 1

),

daily as (

    select
        quote_date,
        cast(sum(total_oi) as bigint) as total_0dte_oi,
        sum(oi_share * oi_share) as oi_hhi,
        sum(oi_share) filter (where oi_rank <= 1) as top1_share,
        sum(oi_share) filter (where oi_rank <= 3) as top3_share,
        sum(oi_share) filter (where oi_rank <= 5) as top5_share,
        case when sum(total_oi) > 0 then min(strike) filter (where oi_rank = 1) end as max_oi_strike,
        sum(strike * total_oi) / nullif(sum(total_oi), 0) as oi_weighted_center,
        count(*) as n_strikes,
        min(strike) as min_strike,
        max(strike) as max_strike

    from strikes
    group by quote_date

)

select
    daily.*,
    spacing.strike_spacing

from daily
left join spacing on spacing.quote_date = daily.quote_date
