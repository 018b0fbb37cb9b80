{#- Every row satisfies a boolean SQL expression. A null result counts as a failure, so an
    expression over nullable columns must say what a null means. -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}
