{#- Fails on every non-null value outside [min_value, max_value] (bounds optional;
    strict when inclusive=false). Nulls are left to not_null tests. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
{%- set ge = '>=' if inclusive else '>' -%}
{%- set le = '<=' if inclusive else '<' -%}
select {{ column_name }} as out_of_range_value
from {{ model }}
where {{ column_name }} is not null
  and not (
    {% if min_value is not none %}{{ column_name }} {{ ge }} {{ min_value }}{% else %}true{% endif %}
    and {% if max_value is not none %}{{ column_name }} {{ le }} {{ max_value }}{% else %}true{% endif %}
  )
{% endtest %}
