{#-
    Generic test standing in for a contract where dbt enforces none (Python models:
    "Expected 'sql' but found 'python'"): the built table has exactly the columns
    documented in the model's yml, in that order, each of the documented data_type
    (compared through the dispatched built_type_matches; types are compared on
    DuckDB, names and order everywhere). Fails with one row per mismatch.

        data_tests:
          - columns_as_documented
-#}
{% test columns_as_documented(model) %}

    {%- set problems = [] -%}
    {%- if execute -%}
        {%- set nodes = graph.nodes.values()
            | selectattr('resource_type', 'equalto', 'model')
            | selectattr('alias', 'equalto', model.identifier)
            | selectattr('schema', 'equalto', model.schema)
            | list -%}
        {%- set documented = nodes[0].columns.values() | list if nodes else [] -%}
        {%- set built = adapter.get_columns_in_relation(model) -%}
        {%- if not nodes -%}
            {%- do problems.append(('', 'no model node found for ' ~ model)) -%}
        {%- endif -%}
        {%- for index in range([documented | length, built | length] | max) -%}
            {%- set want = documented[index] if index < documented | length else none -%}
            {%- set have = built[index] if index < built | length else none -%}
            {%- if want is none -%}
                {%- do problems.append((have.name, 'built but not documented')) -%}
            {%- elif have is none -%}
                {%- do problems.append((want.name, 'documented but not built')) -%}
            {%- elif have.name | lower != want.name | lower -%}
                {%- do problems.append((want.name, 'column ' ~ (index + 1) ~ ' is built as ' ~ have.name)) -%}
            {%- elif want.data_type and not built_type_matches(have.dtype, want.data_type) -%}
                {%- do problems.append((want.name, 'documented ' ~ want.data_type ~ ', built ' ~ have.dtype)) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif %}

    {% for column_name, problem in problems -%}
    select
        '{{ column_name | replace("'", "''") }}' as column_name,
        '{{ problem | replace("'", "''") }}' as problem
    union all
    {% endfor -%}
    select
        cast(null as varchar) as column_name,
        cast(null as varchar) as problem
    where 1 = 0

{% endtest %}


{#- Whether a built column's type is the documented one (see columns_as_documented). -#}
{% macro built_type_matches(built, documented) -%}
    {{ return(adapter.dispatch('built_type_matches', 'glueflake')(built, documented)) }}
{%- endmacro %}

{% macro default__built_type_matches(built, documented) -%}
    {#- Snowflake reports its own names (NUMBER, TEXT, FLOAT): only names are checked. -#}
    {{ return(true) }}
{%- endmacro %}

{% macro duckdb__built_type_matches(built, documented) -%}
    {{ return((built | lower | replace(' ', '')) == (documented | lower | replace(' ', ''))) }}
{%- endmacro %}
