{#-
    Post-hook on every model: log the model's row count as a structured debug line
    that glueflake's dbt runner picks up from dbt's event stream (the build summary
    reports rows per model; dbt-duckdb reports none for CTAS). Renders no SQL, so
    the hook itself is skipped by dbt after the count query ran.
-#}
{% macro log_row_count() %}
    {%- if execute and model.resource_type == 'model' -%}
        {%- set result = run_query('select count(*) as row_count from ' ~ this) -%}
        {%- if result is not none and result.rows | length > 0 -%}
            {%- set payload = {'unique_id': model.unique_id, 'rows': result.rows[0][0] | int} -%}
            {%- do log('glueflake.row_count ' ~ tojson(payload), info=false) -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
