{#- The urgency windows of daily_outcomes, which differ only in their start and end prices.

    high_oi_strike_near: the body of a CTE; per day of `days`, the strike of `strikes` with
    the highest total OI (> 0) within `radius` points of the day's `price_column`; ties go to
    the strike nearer that price, then to the lower strike. Days without one have no row. -#}

{% macro high_oi_strike_near(price_column, radius, days='days', strikes='strikes') -%}
    select {{ days }}.quote_date, {{ strikes }}.strike, {{ strikes }}.total_oi
    from {{ days }}
    inner join {{ strikes }} on {{ strikes }}.quote_date = {{ days }}.quote_date
    where {{ strikes }}.total_oi > 0
      and abs({{ strikes }}.strike - {{ days }}.{{ price_column }}) <= {{ radius }}
    qualify row_number() over (
        partition by {{ days }}.quote_date
        order by {{ strikes }}.total_oi desc,
                 abs({{ strikes }}.strike - {{ days }}.{{ price_column }}),
                 {{ strikes }}.strike
    ) = 1
{%- endmacro %}


{#- How far the price moved away from `strike` over a window: sign(start - strike) *
    (end - start), positive when it moved further out on the side it started on; null
    without a strike or when the start sits exactly on it (no side). -#}
{% macro move_away(start, end, strike) -%}
    case
        when {{ strike }} is null or {{ start }} = {{ strike }} then null
        else sign({{ start }} - {{ strike }}) * ({{ end }} - {{ start }})
    end
{%- endmacro %}
