{#-
    Semi-structured access. DuckDB stores landing records as JSON, Snowflake as
    VARIANT; models call these macros and never write either dialect inline.

    json_get(expr, path, type=none)
        expr  a JSON/VARIANT expression (a column, or a flattened value)
        path  dotted path with optional [n] indexes, e.g. 'name.common',
              'capital[0]', '[0]'; empty or none means expr itself
        type  none keeps the JSON/VARIANT (for nested objects and arrays);
              'varchar', 'bigint', 'integer', 'double', 'boolean', 'date' cast the
              scalar (a value that does not cast becomes null, it never fails the
              build); 'timestamp' parses ISO-8601 into a UTC timestamp.
-#}
{% macro json_get(expr, path=none, type=none) -%}
    {%- if type is not none and type | lower == 'timestamp' -%}
        {{ glueflake.parse_timestamp(glueflake.json_get(expr, path, 'varchar')) }}
    {%- else -%}
        {{ return(adapter.dispatch('json_get', 'glueflake')(expr, path, type)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__json_get(expr, path, type) -%}
    {{ exceptions.raise_compiler_error("json_get is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__json_get(expr, path, type) -%}
    {%- set json_path = '$' if not path else ('$' if path.startswith('[') else '$.') ~ path -%}
    {%- if type is none -%}
        json_extract({{ expr }}, '{{ json_path }}')
    {%- elif type | lower in ('varchar', 'string', 'text') -%}
        json_extract_string({{ expr }}, '{{ json_path }}')
    {%- else -%}
        try_cast(json_extract_string({{ expr }}, '{{ json_path }}') as {{ type }})
    {%- endif -%}
{%- endmacro %}

{% macro snowflake__json_get(expr, path, type) -%}
    {%- set element = expr if not path else expr ~ ('' if path.startswith('[') else ':') ~ path -%}
    {%- if type is none -%}
        {{ element }}
    {%- elif type | lower in ('varchar', 'string', 'text') -%}
        {{ element }}::varchar
    {%- else -%}
        try_cast({{ element }}::varchar as {{ type }})
    {%- endif -%}
{%- endmacro %}


{#- Number of elements of a JSON array (null when expr is missing or not an array). -#}
{% macro json_array_length(expr) -%}
    {{ return(adapter.dispatch('json_array_length', 'glueflake')(expr)) }}
{%- endmacro %}

{% macro default__json_array_length(expr) -%}
    {{ exceptions.raise_compiler_error("json_array_length is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__json_array_length(expr) -%}
    {#- json_array_length counts a JSON null or scalar as 0, where array_size gives
        null; a JSON value is an array exactly when it starts with '[' (no parse). -#}
    case
        when starts_with(ltrim(cast({{ expr }} as varchar)), '[') then json_array_length({{ expr }})
    end
{%- endmacro %}

{% macro snowflake__json_array_length(expr) -%}
    array_size({{ expr }})
{%- endmacro %}


{#- Canonical text of a JSON value, for hashing or comparing whole documents. -#}
{% macro json_to_varchar(expr) -%}
    {{ return(adapter.dispatch('json_to_varchar', 'glueflake')(expr)) }}
{%- endmacro %}

{% macro default__json_to_varchar(expr) -%}
    cast({{ expr }} as varchar)
{%- endmacro %}

{% macro snowflake__json_to_varchar(expr) -%}
    to_json({{ expr }})
{%- endmacro %}




{#- Number of keys of a JSON object (null when expr is null). -#}
{% macro json_key_count(expr) -%}
    {{ return(adapter.dispatch('json_key_count', 'glueflake')(expr)) }}
{%- endmacro %}

{% macro default__json_key_count(expr) -%}
    {{ exceptions.raise_compiler_error("json_key_count is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__json_key_count(expr) -%}
    len(json_keys({{ expr }}))
{%- endmacro %}

{% macro snowflake__json_key_count(expr) -%}
    array_size(object_keys({{ expr }}))
{%- endmacro %}
