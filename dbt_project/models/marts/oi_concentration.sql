{#- One row per quote day x strike of the day's own expiration (0DTE).

    oi_share is the strike's share of the day's total 0DTE OI (null when that total is 0).
    oi_rank is a strict ranking by total OI, ties broken by the distance to the day's open,
    then by the lower strike, so rank 1 (the max-OI strike) is unique and deterministic. -#}

with

strikes as (

    select * from {{ ref('int_chains__oi_by_strike') }}
    where {{ partition_window_filter('quote_date') }}

),

sessions as (

    select quote_date, open as day_open, prev_close
    from {{ ref('int_bars__sessions') }}
    where {{ partition_window_filter('quote_date') }}

),

day_totals as (

    select quote_date, sum(total_oi) as day_total_oi
    from strikes
    group by quote_date

),

joined as (

    select
        strikes.quote_date,
        strikes.strike,
        strikes.call_oi,
        strikes.put_oi,
        strikes.total_oi,
        strikes.has_call,
        strikes.has_put,
        day_totals.day_total_oi,
        sessions.day_open,
        sessions.prev_close

    from strikes
    inner join day_totals on day_totals.quote_date = strikes.quote_date
    left join sessions on sessions.quote_date = strikes.quote_date

)

select
    quote_date,
    strike,
    call_oi,
    put_oi,
    total_oi,
    case when day_total_oi > 0 then total_oi / day_total_oi end as oi_share,
    row_number() over (
        partition by quote_date
        order by total_oi desc, abs(strike - day_open) asc nulls last, strike asc
    ) as oi_rank,
    strike - day_open as distance_from_open,
    strike - prev_close as distance_from_prev_close,
    has_call,
    has_put,
    strike % 25 = 0 as is_round_25,
    strike % 50 = 0 as is_round_50,
    strike % 100 = 0 as is_round_100

from joined
