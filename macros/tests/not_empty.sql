{#- Generic test: the model has at least one row (guards against silent empty loads). -#}
{% test not_empty(model) %}

    select 1 as is_empty
    from (select count(*) as row_count from {{ model }}) as counted
    where counted.row_count = 0

{% endtest %}
