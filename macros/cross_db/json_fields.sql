{#-
    Parse once, read typed, rescue what does not fit: how a raw model reads a
    landed record.

    The model declares the fields it reads as a mapping path -> field type, parses
    the record once with json_parse and reads every field from the parsed value:

        {%- set fields = {'id': 'bigint', 'items': 'array', 'name.common': 'varchar'} -%}
        ...
        {{ json_parse('record', fields) }} as record_fields     -- the one parse
        ...
        {{ json_get_parsed('parsed.record_fields', 'id', fields) }} as order_id,
        {{ json_rescued('parsed.record_fields', fields) }} as _rescued

    Paths: a top-level key, or a top-level key then `.sub` / `[n]`
    ('name.common', 'latlng[0]'). On DuckDB the parse keeps such a key's value as
    its own JSON text, and the path is read from that small value, never from the
    record again; on Snowflake a VARIANT is already parsed (json_parse returns expr)
    and paths are read with `:`.

    Field types:
        'varchar'             a scalar as its text (a container given here keeps its
                              JSON text, so nothing is lost and nothing is rescued)
        'bigint', 'integer', 'double', 'boolean', 'date', 'decimal(p, s)'
                              cast from the value's text (TRY_CAST)
        'timestamp'           ISO-8601 text with an offset -> UTC timestamp
        'array', 'object'     a container, kept as JSON (DuckDB) / VARIANT (Snowflake)
        none                  any JSON value, kept as it is, never checked

    "None" is one thing: a missing key, JSON null, "", [] and {} read as NULL for
    every checked type, and are never rescued.

    Type drift is kept, never nulled without a trace: a value that is not none and
    does not fit its type (a number given as "5.4 million", a list given as a
    string, an object where a list belongs) reads as NULL, and json_rescued returns
    an object field path -> original value holding every such field of the record
    (NULL when there is none). DuckDB keeps a rescued scalar as its text (a JSON
    string) and a container as it was; Snowflake keeps the VARIANT as it was.
-#}
{% macro json_parse(expr, fields) -%}
    {{ return(adapter.dispatch('json_parse', 'glueflake')(expr, fields)) }}
{%- endmacro %}

{% macro default__json_parse(expr, fields) -%}
    {{ expr }}
{%- endmacro %}

{% macro duckdb__json_parse(expr, fields) -%}
    {#- One json_transform: a scalar read at the top level comes out as VARCHAR, a
        container or a key read below the top level as its JSON text. -#}
    {%- set top = {} -%}
    {%- for path, type in fields.items() -%}
        {%- set head, rest = glueflake.json_path_head(path) -%}
        {%- if rest or glueflake.json_is_container(type) -%}
            {%- do top.update({head: none}) -%}
        {%- elif head not in top -%}
            {%- do top.update({head: 'varchar'}) -%}
        {%- endif -%}
    {%- endfor -%}
    json_transform({{ expr }}, '{{ glueflake.duckdb__json_structure(top) }}')
{%- endmacro %}

{#- DuckDB json_transform structure: every scalar as VARCHAR (the text the casts
    read), containers and untyped values as JSON. -#}
{% macro duckdb__json_structure(fields) -%}
    {%- set parts = [] -%}
    {%- for key, type in fields.items() -%}
        {%- set json_type = '"JSON"' if glueflake.json_is_container(type) else '"VARCHAR"' -%}
        {%- do parts.append(tojson(key) ~ ': ' ~ json_type) -%}
    {%- endfor -%}
    {{ '{' ~ parts | join(', ') ~ '}' }}
{%- endmacro %}


{#- json_get_parsed(parsed, path, type): the field at path of a json_parse result,
    typed (see above). type is a field type, or the model's fields mapping (the
    path's type is looked up there). -#}
{% macro json_get_parsed(parsed, path, type=none) -%}
    {%- set field_type = glueflake.json_field_type(type, path) -%}
    {{ return(adapter.dispatch('json_get_parsed', 'glueflake')(parsed, path, field_type)) }}
{%- endmacro %}

{% macro default__json_get_parsed(parsed, path, type) -%}
    {{ exceptions.raise_compiler_error("json_get_parsed is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{% macro snowflake__json_get_parsed(parsed, path, type) -%}
    {%- set value = glueflake.json_get(parsed, path) -%}
    {%- if type is none -%}
        {{ value }}
    {%- elif type == 'array' -%}
        {#- [] has no first element; [null] has a JSON null one (not SQL NULL). -#}
        case when is_array({{ value }}) and {{ value }}[0] is not null then {{ value }} end
    {%- elif type == 'object' -%}
        case when left(to_json({{ value }}), 1) = '{' and to_json({{ value }}) != '{}' then {{ value }} end
    {%- else -%}
        {{ glueflake.json_typed_text(value ~ '::varchar', type) }}
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__json_get_parsed(parsed, path, type) -%}
    {%- set text = glueflake.duckdb__json_field_text(parsed, path, type) -%}
    {%- if type is none -%}
        {{ text }}
    {%- elif type in ('array', 'object') -%}
        case
            when left({{ text }}, 1) = '{{ '[' if type == 'array' else '{' }}'
                and {{ text }} != '{{ '[]' if type == 'array' else '{}' }}'
                then {{ text }}
        end
    {%- else -%}
        {{ glueflake.json_typed_text(text, type) }}
    {%- endif -%}
{%- endmacro %}

{#- A scalar's text (VARCHAR) read as its field type; shared by both warehouses. -#}
{% macro json_typed_text(text, type) -%}
    {%- if type in ('varchar', 'string', 'text') -%}
        nullif({{ text }}, '')
    {%- elif type == 'timestamp' -%}
        {{ glueflake.parse_timestamp(text) }}
    {%- else -%}
        try_cast({{ text }} as {{ type }})
    {%- endif -%}
{%- endmacro %}


{#- json_rescued(parsed, fields): field path -> original value of every field of
    the record that is not none and does not fit its type; NULL when all fit. -#}
{% macro json_rescued(parsed, fields) -%}
    {{ return(adapter.dispatch('json_rescued', 'glueflake')(parsed, fields)) }}
{%- endmacro %}

{% macro default__json_rescued(parsed, fields) -%}
    {{ exceptions.raise_compiler_error("json_rescued is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- Snowflake: TRY_CAST for scalars, IS_ARRAY for arrays; an object is told by its
    JSON text, since fakesnow (the offline tier) has no IS_OBJECT and answers TYPEOF
    with 'JSON'. OBJECT_CONSTRUCT leaves out the fields whose value is NULL. -#}
{% macro snowflake__json_rescued(parsed, fields) -%}
    {%- set misfits = [] -%}
    {%- set pairs = [] -%}
    {%- for path in fields -%}
        {%- set type = glueflake.json_field_type(fields, path) -%}
        {%- if glueflake.json_is_checked(type) -%}
        {%- set value = glueflake.json_get(parsed, path) -%}
        {%- if type == 'array' -%}
            {%- set misfit = '(not is_array(' ~ value ~ ') and to_json(' ~ value ~ ") not in ('\"\"', '{}', 'null'))" -%}
        {%- elif type == 'object' -%}
            {%- set misfit = '(left(to_json(' ~ value ~ "), 1) != '{' and to_json(" ~ value ~ ") not in ('\"\"', '[]', 'null'))" -%}
        {%- else -%}
            {%- set misfit = glueflake.json_scalar_misfit(value ~ '::varchar', type) -%}
        {%- endif -%}
        {%- do misfits.append(misfit) -%}
        {%- do pairs.append("'" ~ path ~ "', iff(" ~ misfit ~ ', ' ~ value ~ ', null)') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if misfits -%}
        case when {{ misfits | join(' or ') }} then object_construct({{ pairs | join(', ') }}) end
    {%- else -%}
        cast(null as variant)
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__json_rescued(parsed, fields) -%}
    {%- set misfits = [] -%}
    {%- set entries = [] -%}
    {%- for path in fields -%}
        {%- set type = glueflake.json_field_type(fields, path) -%}
        {%- if glueflake.json_is_checked(type) -%}
        {%- set text = glueflake.duckdb__json_field_text(parsed, path, type) -%}
        {%- if type in ('array', 'object') -%}
            {%- set misfit = '(' ~ text ~ " not in ('\"\"', '[]', '{}', 'null') and left(" ~ text
                ~ ", 1) != '" ~ ('[' if type == 'array' else '{') ~ "')" -%}
            {%- set original = 'cast(' ~ text ~ ' as varchar)' -%}
        {%- else -%}
            {%- set misfit = glueflake.json_scalar_misfit(text, type) -%}
            {%- set original = 'cast(to_json(' ~ text ~ ') as varchar)' -%}
        {%- endif -%}
        {%- do misfits.append(misfit) -%}
        {%- do entries.append('case when ' ~ misfit ~ " then '" ~ tojson(path) ~ ": ' || " ~ original ~ ' end') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if misfits -%}
        case
            when {{ misfits | join('\n                or ') }}
                then cast('{' || concat_ws(', ', {{ entries | join(', ') }}) || '}' as json)
        end
    {%- else -%}
        cast(null as json)
    {%- endif -%}
{%- endmacro %}

{#- The scalar text is not none and does not read as type. -#}
{% macro json_scalar_misfit(text, type) -%}
    ({{ text }} not in ('', '[]', '{}') and {{ glueflake.json_typed_text(text, type) }} is null)
{%- endmacro %}


{#- Helpers. -#}

{#- The value at path as text: the parsed top-level field, or the sub-path read from
    that field's JSON (json_extract_string for a scalar, json_extract for a container). -#}
{% macro duckdb__json_field_text(parsed, path, type) -%}
    {%- set head, rest = glueflake.json_path_head(path) -%}
    {%- set field = parsed ~ '.' ~ adapter.quote(head) -%}
    {%- if rest -%}
        {{ glueflake.duckdb__json_get(field, rest, none if glueflake.json_is_container(type) else 'varchar') }}
    {%- else -%}
        {{ field }}
    {%- endif -%}
{%- endmacro %}

{#- [top-level key, the rest of the path] of 'name.common' (['name', 'common']),
    'latlng[0]' (['latlng', '[0]']), 'cca3' (['cca3', '']). -#}
{% macro json_path_head(path) -%}
    {%- set cut = namespace(at=path | length) -%}
    {%- for separator in ['.', '['] -%}
        {%- set at = path.find(separator) -%}
        {%- if at >= 0 and at < cut.at -%}
            {%- set cut.at = at -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set rest = path[cut.at:] -%}
    {{ return([path[:cut.at], rest[1:] if rest.startswith('.') else rest]) }}
{%- endmacro %}

{% macro json_field_type(type, path) -%}
    {%- if type is mapping -%}
        {%- if path not in type -%}
            {{ exceptions.raise_compiler_error("json_get_parsed: '" ~ path ~ "' is not among the declared fields") }}
        {%- endif -%}
        {{ return(type[path] | lower if type[path] is string else none) }}
    {%- endif -%}
    {{ return(type | lower if type is string else none) }}
{%- endmacro %}

{% macro json_is_container(type) -%}
    {{ return(type is none or type | lower in ('array', 'object', 'json')) }}
{%- endmacro %}

{#- Types a value can fail to fit (varchar takes any scalar; none is never checked). -#}
{% macro json_is_checked(type) -%}
    {{ return(type is not none and type | lower not in ('varchar', 'string', 'text', 'json')) }}
{%- endmacro %}
