{#- Within each group the shares in `column_name` add up to 1 (within `tolerance`). A group
    whose shares are all null (nothing to share, e.g. a day with zero 0DTE OI) passes; a group
    with some null and some non-null shares fails. -#}
{% test shares_sum_to_one(model, column_name, group_by, tolerance=1e-9) %}
{%- set groups = group_by | join(', ') -%}
select {{ groups }},
       count(*) as n_rows,
       count({{ column_name }}) as n_shares,
       sum({{ column_name }}) as share_sum
from {{ model }}
group by {{ groups }}
having count({{ column_name }}) > 0
   and (count({{ column_name }}) < count(*)
        or abs(sum({{ column_name }}) - 1.0) > {{ tolerance }})
{% endtest %}
