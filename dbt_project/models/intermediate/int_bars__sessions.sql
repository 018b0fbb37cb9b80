{#- One row per quote day: the session as the bars show it, the previous day's close and the
    prices at fixed minutes before the close.

    Conventions (the same as assets.common.calendar.minutes_to_close): a bar stamped t covers
    [t, t + 1 min) and its close is known at t + 1 min. The session close is the last bar's
    start + 1 minute, so early closes (13:00 ET) follow from the data. "The price m minutes
    before the close" is the close of the last bar that ended at or before close - m minutes,
    i.e. of the bar starting at close - (m + 1) minutes when no bar is missing.

    The previous close is looked up in the whole staging view, not in the day window, so that
    building one day alone still finds its predecessor (the previous quote day present in
    raw.bars). -#}

with

window_bars as (

    select * from {{ ref('stg_raw__bars') }}
    where {{ partition_window_filter('quote_date') }}

),

sessions as (

    select
        quote_date,
        min(symbol) as symbol,
        min(ts) as session_open_ts,
        max(ts) + interval 1 minute as session_close_ts,
        count(*) as n_bars,
        arg_min(open, ts) as open,
        max(high) as high,
        min(low) as low,
        arg_max(close, ts) as close

    from window_bars
    group by quote_date

),

checkpoints as (

    select
        sessions.quote_date,
        arg_max(window_bars.close, window_bars.ts)
            filter (where window_bars.ts <= sessions.session_close_ts - interval 61 minute) as price_60_left,
        arg_max(window_bars.close, window_bars.ts)
            filter (where window_bars.ts <= sessions.session_close_ts - interval 31 minute) as price_30_left,
        arg_max(window_bars.close, window_bars.ts)
            filter (where window_bars.ts <= sessions.session_close_ts - interval 16 minute) as price_15_left

    from sessions
    inner join window_bars on window_bars.quote_date = sessions.quote_date
    group by sessions.quote_date

),

all_days as (

    select
        quote_date,
        lag(quote_date) over (order by quote_date) as prev_quote_date

    from (select distinct quote_date from {{ ref('stg_raw__bars') }})

),

previous_close as (

    select
        quote_date as prev_quote_date,
        arg_max(close, ts) as prev_close

    from {{ ref('stg_raw__bars') }}
    where quote_date in (
        select all_days.prev_quote_date
        from all_days
        inner join sessions on sessions.quote_date = all_days.quote_date
    )
    group by quote_date

)

select
    sessions.quote_date,
    sessions.symbol,
    sessions.session_open_ts,
    sessions.session_close_ts,
    cast(timezone('America/New_York', sessions.session_close_ts) as time) < time '16:00:00' as is_early_close,
    sessions.n_bars,
    sessions.open,
    sessions.high,
    sessions.low,
    sessions.close,
    all_days.prev_quote_date,
    previous_close.prev_close,
    checkpoints.price_60_left,
    checkpoints.price_30_left,
    checkpoints.price_15_left

from sessions
inner join checkpoints on checkpoints.quote_date = sessions.quote_date
inner join all_days on all_days.quote_date = sessions.quote_date
left join previous_close on previous_close.prev_quote_date = all_days.prev_quote_date
