{#-
    Generic reconciliation test: the model has exactly as many rows as another
    relation (optionally filtered on each side). Fails with one row giving both
    counts and the difference.
-#}
{% test equal_row_count(model, compare_model, model_filter=none, compare_filter=none) %}

    with

    model_rows as (
        select count(*) as row_count
        from {{ model }}
        {%- if model_filter %}
            where {{ model_filter }}
        {%- endif %}
    ),

    compare_rows as (
        select count(*) as row_count
        from {{ compare_model }}
        {%- if compare_filter %}
            where {{ compare_filter }}
        {%- endif %}
    ),

    final as (
        select
            model_rows.row_count as model_row_count,
            compare_rows.row_count as compare_row_count,
            model_rows.row_count - compare_rows.row_count as difference
        from model_rows
        cross join compare_rows
    )

    select * from final
    where difference != 0

{% endtest %}
