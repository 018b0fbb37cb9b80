{#- A model's per-column rules in one query (one dbt node, one Dagster check): columns
    that must not be null, and ranges that non-null values must fall in (bounds optional,
    strict when inclusive=false). Each failing value is one row naming its rule and column,
    so a failure reads like the single-column tests it replaces, at a fraction of the cost
    per nightly build (every dbt node costs a compile, a query and a Dagster event). -#}
{% test column_rules(model, not_null=[], ranges={}) %}
{%- set failing = [] -%}
{%- for column in not_null -%}
  {%- do failing.append(("not_null", column, column ~ " is null")) -%}
{%- endfor -%}
{%- for column, bounds in ranges.items() -%}
  {%- set strict = bounds.get("inclusive", true) == false -%}
  {%- set parts = [] -%}
  {%- if bounds.get("min_value") is not none -%}
    {%- do parts.append(column ~ (" > " if strict else " >= ") ~ bounds["min_value"]) -%}
  {%- endif -%}
  {%- if bounds.get("max_value") is not none -%}
    {%- do parts.append(column ~ (" < " if strict else " <= ") ~ bounds["max_value"]) -%}
  {%- endif -%}
  {%- do failing.append(("accepted_range", column,
                         column ~ " is not null and not (" ~ (parts | join(" and ")) ~ ")")) -%}
{%- endfor -%}
{%- for rule, column, condition in failing %}
{% if not loop.first %}union all{% endif %}
select '{{ rule }}' as rule, '{{ column }}' as column_name, cast({{ column }} as varchar) as value
from {{ model }}
where {{ condition }}
{%- endfor %}
{% endtest %}
