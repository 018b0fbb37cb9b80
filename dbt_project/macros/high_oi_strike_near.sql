{#- Body of a CTE: per day of `days`, the strike of `strikes` with the highest total OI
    (> 0) within `radius` points of the day's `price_column`; ties go to the strike nearer
    that price, then to the lower strike. Days without such a strike have no row. Used for
    each urgency window of daily_outcomes, which differ only in the price they start from. -#}

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
