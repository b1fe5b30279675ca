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


{#-
    Parse once, read many. A record read field by field with json_get is parsed
    once per field on DuckDB (JSON is text there); json_parse parses it once into
    a typed value and json_get_parsed reads its fields. On Snowflake a VARIANT is
    already parsed: json_parse returns expr unchanged and json_get_parsed is json_get.

    json_parse(expr, fields)
        fields  the top-level keys to keep, as a mapping key -> type (the json_get
                types; none keeps a nested object or array as JSON/VARIANT)
    json_get_parsed(parsed, key, type=none, source=none)
        parsed  a json_parse result; key one of its fields; type as in json_get
        source  the unparsed expr: for a JSON-typed field (type none) a JSON null
                then stays a JSON null, exactly as json_get would return it

    Each value reads exactly as json_get(expr, key, type) would read it.

        {{ json_parse('record', {'id': 'bigint', 'items': none}) }} as parsed
        ...
        {{ json_get_parsed('parsed', 'id', 'bigint') }} as order_id
-#}
{% macro json_parse(expr, fields) -%}
    {{ return(adapter.dispatch('json_parse', 'glueflake')(expr, fields)) }}
{%- endmacro %}

{% macro default__json_parse(expr, fields) -%}
    {{ expr }}
{%- endmacro %}

{% macro duckdb__json_parse(expr, fields) -%}
    json_transform({{ expr }}, '{{ glueflake.duckdb__json_structure(fields) }}')
{%- endmacro %}

{#- DuckDB json_transform structure: every scalar as VARCHAR (the text json_get
    casts from, so casts behave the same), nested values as JSON. -#}
{% macro duckdb__json_structure(fields) -%}
    {%- set parts = [] -%}
    {%- for key, type in fields.items() -%}
        {%- do parts.append(tojson(key) ~ ': ' ~ ('"JSON"' if type is none else '"VARCHAR"')) -%}
    {%- endfor -%}
    {{ '{' ~ parts | join(', ') ~ '}' }}
{%- endmacro %}


{% macro json_get_parsed(parsed, key, type=none, source=none) -%}
    {{ return(adapter.dispatch('json_get_parsed', 'glueflake')(parsed, key, type, source)) }}
{%- endmacro %}

{% macro default__json_get_parsed(parsed, key, type, source) -%}
    {{ glueflake.json_get(parsed, key, type) }}
{%- endmacro %}

{% macro duckdb__json_get_parsed(parsed, key, type, source) -%}
    {%- set field = parsed ~ '.' ~ adapter.quote(key) -%}
    {%- if type is none -%}
        {#- json_transform turns a JSON null into SQL null; coalesce (evaluated only
            for the rows still null) reads such a field the json_get way. -#}
        {%- if source is none -%}
            {{ field }}
        {%- else -%}
            coalesce({{ field }}, {{ glueflake.json_get(source, key) }})
        {%- endif -%}
    {%- elif type | lower == 'timestamp' -%}
        {{ glueflake.parse_timestamp(field) }}
    {%- elif type | lower in ('varchar', 'string', 'text') -%}
        {{ field }}
    {%- else -%}
        try_cast({{ field }} as {{ type }})
    {%- endif -%}
{%- endmacro %}
