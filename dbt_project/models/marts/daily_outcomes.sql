{#- One row per expiration day (a quote day with bars and a listed 0DTE chain): what the
    underlying did, how close it closed to a strike, and how it moved near the high-OI strike
    in the specification's two urgency windows.

    Prices at "m minutes before the close" come from int_bars__sessions (close of the last bar
    ended by close - m minutes). Windows, matching the specification's urgency classes:
      PIN_RISK        from 60 to 30 minutes before the close
      ASSIGNMENT_PANIC from 15 minutes before the close to the close
    The window's strike is the highest-OI strike (total OI > 0) within
    var('high_oi_search_points') (20) points of the price at the window start; ties: nearer
    to that price, then the lower strike. Its move away = sign(start - strike) * (end - start):
    positive when the price moved further from the strike on the side it started on. Null
    when no strike qualifies or when the start price sits exactly on the strike (no side).

    Pinning: the close is "pinned within h" when |close - nearest listed strike| <= h; with
    strikes delta apart a random close does so with probability 2h / delta (pin_baseline_*),
    delta = the day's modal strike spacing. -#}

{%- set radius = var('high_oi_search_points', 20) -%}

with

sessions as (

    select * from {{ ref('int_bars__sessions') }}
    where {{ partition_window_filter('quote_date') }}

),

concentration as (

    select quote_date, max_oi_strike, strike_spacing
    from {{ ref('oi_concentration_daily') }}
    where {{ partition_window_filter('quote_date') }}

),

strikes as (

    select quote_date, strike, total_oi
    from {{ ref('oi_concentration') }}
    where {{ partition_window_filter('quote_date') }}

),

days as (

    select
        sessions.*,
        concentration.max_oi_strike,
        concentration.strike_spacing

    from sessions
    inner join concentration on concentration.quote_date = sessions.quote_date

),

nearest_strike as (

    select days.quote_date, strikes.strike as nearest_strike
    from days
    inner join strikes on strikes.quote_date = days.quote_date
    qualify row_number() over (
        partition by days.quote_date
        order by abs(days.close - strikes.strike), strikes.strike
    ) = 1

),

pin_window_strike as (

    {{ high_oi_strike_near('price_60_left', radius) }}

),

panic_window_strike as (

    {{ high_oi_strike_near('price_15_left', radius) }}

),

joined as (

    select
        days.*,
        nearest_strike.nearest_strike,
        pin_window_strike.strike as pin_window_strike,
        pin_window_strike.total_oi as pin_window_strike_oi,
        panic_window_strike.strike as panic_window_strike,
        panic_window_strike.total_oi as panic_window_strike_oi

    from days
    left join nearest_strike on nearest_strike.quote_date = days.quote_date
    left join pin_window_strike on pin_window_strike.quote_date = days.quote_date
    left join panic_window_strike on panic_window_strike.quote_date = days.quote_date

)

select
    quote_date,
    symbol,
    session_open_ts,
    session_close_ts,
    is_early_close,
    n_bars,
    open,
    high,
    low,
    close,
    prev_close,

    nearest_strike,
    abs(close - nearest_strike) as dist_nearest_strike,
    max_oi_strike,
    abs(close - max_oi_strike) as dist_max_oi_strike,
    close - max_oi_strike as close_minus_max_oi_strike,
    strike_spacing,
    abs(close - nearest_strike) <= 0.5 as pinned_within_0_5,
    abs(close - nearest_strike) <= 1.0 as pinned_within_1_0,
    abs(close - nearest_strike) <= 2.5 as pinned_within_2_5,
    least(1.0, 2 * 0.5 / strike_spacing) as pin_baseline_0_5,
    least(1.0, 2 * 1.0 / strike_spacing) as pin_baseline_1_0,
    least(1.0, 2 * 2.5 / strike_spacing) as pin_baseline_2_5,

    price_60_left,
    price_30_left,
    price_15_left,
    close - price_60_left as move_last_60,
    close - price_30_left as move_last_30,
    close - price_15_left as move_last_15,

    pin_window_strike,
    pin_window_strike_oi,
    price_60_left as pin_window_start_price,
    price_30_left as pin_window_end_price,
    {{ move_away('price_60_left', 'price_30_left', 'pin_window_strike') }} as pin_window_move_away,

    panic_window_strike,
    panic_window_strike_oi,
    price_15_left as panic_window_start_price,
    close as panic_window_end_price,
    {{ move_away('price_15_left', 'close', 'panic_window_strike') }} as panic_window_move_away

from joined
