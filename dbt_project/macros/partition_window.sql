{#- The day window a run builds, from `--vars '{min_date: ..., max_date: ...}'` (inclusive
    YYYY-MM-DD bounds), else from PRESSURE_LAB_DBT_MIN_DATE / _MAX_DATE (how the Dagster
    partitioned asset passes both: unlike --vars, a changed environment variable keeps
    dbt's partial parse). Without either every day is rebuilt. Building a window on top of
    --full-refresh would recreate the table with only that window, silently dropping every
    other day, so that combination is refused. -#}

{% macro _window_date(name) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none -%}
        {%- set value = env_var('PRESSURE_LAB_DBT_' ~ (name | upper), '') -%}
    {%- endif -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a YYYY-MM-DD date, got '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}


{% macro partition_window_filter(column='quote_date') -%}
    {%- set lo = _window_date('min_date') -%}
    {%- set hi = _window_date('max_date') -%}
    {%- if (lo is not none or hi is not none) and flags.FULL_REFRESH -%}
        {{ exceptions.raise_compiler_error("--full-refresh rebuilds every day: do not combine it with min_date/max_date") }}
    {%- endif -%}
    {%- if lo is not none and hi is not none -%}
        {{ column }} between date '{{ lo }}' and date '{{ hi }}'
    {%- elif lo is not none -%}
        {{ column }} >= date '{{ lo }}'
    {%- elif hi is not none -%}
        {{ column }} <= date '{{ hi }}'
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#- Pre-hook of the incremental models: inside the model's transaction, delete the days of
    the window (every day when no window is given) before delete+insert adds the rebuilt
    ones, so a day that vanished from raw also vanishes from the model; delete+insert alone
    only replaces the days present in the new rows. -#}
{% macro delete_partition_window() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ partition_window_filter('quote_date') }}
    {%- endif -%}
{%- endmacro %}
