{#- The data tests of a windowed build read the window's days only. A build replaces
    exactly those days (delete+insert of whole days) and raw changes only where the
    ingestion published them, so every other day is as it was when an earlier build
    tested it; testing it again every night made a night's tests scan the whole history.
    Every tested model carries `quote_date`, and every test's key or group includes it, so
    the window's tests decide exactly what testing everything would about these days.
    Without a window (a full build) every day is tested. dbt calls this for the model a
    test reads; a test's own `where` config still applies on top. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set window = partition_window_filter('quote_date') -%}
    {%- set conditions = [] -%}
    {%- if window | trim != 'true' -%}{%- do conditions.append(window) -%}{%- endif -%}
    {%- if where -%}{%- do conditions.append('(' ~ where ~ ')') -%}{%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
