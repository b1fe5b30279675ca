{#-
    Post-hook on every model and snapshot: log its row count (for a snapshot, also
    how many versions are closed, i.e. its history) as a structured debug line
    that glueflake's dbt runner picks up from dbt's event stream (the build summary
    reports rows per model; dbt-duckdb reports none for CTAS). Renders no SQL, so
    the hook itself is skipped by dbt after the count query ran.
-#}
{% macro log_row_count() %}
    {%- if execute and model.resource_type in ('model', 'snapshot') -%}
        {%- set closed = 'count(case when dbt_valid_to is not null then 1 end)'
            if model.resource_type == 'snapshot' else '0' -%}
        {%- set result = run_query(
            'select count(*) as row_count, ' ~ closed ~ ' as closed_count from ' ~ this
        ) -%}
        {%- if result is not none and result.rows | length > 0 -%}
            {%- set payload = {
                'unique_id': model.unique_id,
                'rows': result.rows[0][0] | int,
                'closed': result.rows[0][1] | int,
            } -%}
            {%- set rescued = glueflake.rescued_value_count() -%}
            {%- if rescued is not none -%}
                {%- do payload.update({'rescued': rescued}) -%}
            {%- endif -%}
            {%- do log('glueflake.row_count ' ~ tojson(payload), info=false) -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}


{#-
    For a raw model (it has a `_rescued` column): how many values its records hold
    there, i.e. fields that did not fit their declared type (see json_fields.sql).
    None for every other node.
-#}
{% macro rescued_value_count() %}
    {%- if model.resource_type != 'model' or model.fqn[1:2] != ['raw'] -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if '_rescued' not in columns -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set result = run_query(
        'select coalesce(sum(' ~ glueflake.json_key_count('_rescued') ~ '), 0) from ' ~ this
        ~ ' where _rescued is not null'
    ) -%}
    {{ return(result.rows[0][0] | int if result is not none and result.rows | length > 0 else none) }}
{% endmacro %}
