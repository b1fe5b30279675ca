{#-
    Drop every schema of the target database whose name starts with `prefix`: the
    slim CI run's own schemas (pr_<n>, pr_<n>_raw, ...), after the pull request's
    build. Refuses an empty prefix and the prod target, so it can never reach prod.

    dbt run-operation drop_schemas_with_prefix --args '{prefix: pr_123}' --target ci_snowflake
-#}
{% macro drop_schemas_with_prefix(prefix) -%}
    {%- if not prefix or prefix | length < 3 -%}
        {{ exceptions.raise_compiler_error("drop_schemas_with_prefix: give a prefix of 3+ characters") }}
    {%- endif -%}
    {%- if target.name == 'prod' -%}
        {{ exceptions.raise_compiler_error("drop_schemas_with_prefix: never on the prod target") }}
    {%- endif -%}
    {%- set found = run_query(
        "select schema_name from " ~ target.database ~ ".information_schema.schemata"
        ~ " where schema_name ilike '" ~ (prefix | replace("'", "")) ~ "%'"
    ) -%}
    {%- for schema in found.columns[0].values() -%}
        {%- do log("dropping schema " ~ schema, info=true) -%}
        {%- do run_query("drop schema if exists " ~ target.database ~ "." ~ schema ~ " cascade") -%}
    {%- endfor -%}
{%- endmacro %}
