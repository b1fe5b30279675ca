{#-
    Generic test: every row of the model satisfies a boolean SQL expression.
    Fails with the rows where it does not. `where` narrows the rows checked.

        data_tests:
          - expression_is_true:
              arguments:
                expression: "revenue_usd >= 0"
-#}
{% test expression_is_true(model, expression, column_name=none, where_clause=none) %}

    select *
    from {{ model }}
    where
        not ({{ expression }})
        {%- if where_clause %}
            and ({{ where_clause }})
        {%- endif %}

{% endtest %}
