{#- One row per quote day x listed strike of that day's own expiration (0DTE), calls and
    puts side by side; on a calendar placebo day (validation.calendar_placebo), of the next
    expiration, the contracts it holds (`is_front`; the ingestion checks make the front
    expiration the 0DTE one on every expiration day). A strike listed on one side only gets 0 OI on the other side (no
    contract, no open interest) and the has_call / has_put flags say which sides exist. -#}

with

zero_dte as (

    select * from {{ ref('stg_raw__chains') }}
    where is_front
      and {{ partition_window_filter('quote_date') }}

),

by_strike as (

    select
        quote_date,
        strike,
        cast(coalesce(sum(open_interest) filter (where option_type = 'C'), 0) as bigint) as call_oi,
        cast(coalesce(sum(open_interest) filter (where option_type = 'P'), 0) as bigint) as put_oi,
        count(*) filter (where option_type = 'C') > 0 as has_call,
        count(*) filter (where option_type = 'P') > 0 as has_put

    from zero_dte
    group by quote_date, strike

)

select
    quote_date,
    strike,
    call_oi,
    put_oi,
    call_oi + put_oi as total_oi,
    has_call,
    has_put

from by_strike
