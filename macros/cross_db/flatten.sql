{#-
    Flattening semi-structured values into rows. Both macros render a complete
    join clause to place right after the FROM item that provides expr, and expose
    the same columns on both warehouses:

        <alias>.value   the element (JSON/VARIANT; read it with json_get)
        <alias>.index   0-based position (flatten_array)
        <alias>.key     the object key (flatten_object)

    flatten_array(expr, alias, fields) parses each element once into those
    fields (a mapping key -> type, as json_parse takes): read them with
    json_get_parsed(alias ~ '.value', key, type) instead of json_get.

    Both are OUTER: a row whose array/object is empty, null or missing is kept
    once, with null value/index/key (Snowflake FLATTEN's outer => true). Both
    check the value's kind first: a value that is not an array (flatten_array) or
    not an object (flatten_object) flattens like a missing one, never into a cast
    error. Raw models never hand them one: a container of the wrong kind is read
    as NULL there and kept in `_rescued`, where the no_rescued_values test names
    its record and field.

        from countries
        {{ flatten_array(json_get('countries.record', 'continents'), 'continent') }}
-#}
{% macro flatten_array(expr, alias, fields=none) -%}
    {{ return(adapter.dispatch('flatten_array', 'glueflake')(expr, alias, fields)) }}
{%- endmacro %}

{% macro default__flatten_array(expr, alias, fields) -%}
    {{ exceptions.raise_compiler_error("flatten_array is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__flatten_array(expr, alias, fields) -%}
    {%- if fields is not none -%}
    {#- One json_transform per array: the elements come out as structs, parsed once. -#}
    left join lateral (
        select
            unnest({{ alias }}_elements.elements) as value,
            generate_subscripts({{ alias }}_elements.elements, 1) - 1 as index
        from (
            select json_transform({{ expr }}, '[{{ glueflake.duckdb__json_structure(fields) }}]') as elements
        ) as {{ alias }}_elements
    ) as {{ alias }} on true
    {%- else -%}
    {#- json_transform gives NULL (no element) for a value that is not an array. -#}
    left join lateral (
        select
            unnest({{ alias }}_elements.elements) as value,
            generate_subscripts({{ alias }}_elements.elements, 1) - 1 as index
        from (
            select json_transform({{ expr }}, '["JSON"]') as elements
        ) as {{ alias }}_elements
    ) as {{ alias }} on true
    {%- endif -%}
{%- endmacro %}

{% macro snowflake__flatten_array(expr, alias, fields) -%}
    {#- A missing path is SQL NULL, and a value that is not an array is no array:
        an empty array in their place makes the outer row explicit. -#}
    , lateral flatten(
        input => case when is_array({{ expr }}) then {{ expr }} else parse_json('[]') end,
        outer => true
    ) as {{ alias }}
{%- endmacro %}



{#-
    unnest_array(relation, relation_alias, expr, alias, fields): the INNER
    counterpart of flatten_array, for the volume models. It renders a complete
    FROM item (put it right after `from`): `relation` under `relation_alias`, one
    row per element of expr (an expression over relation_alias's columns), with
    the same columns as flatten_array:

        <alias>.value   the element (read it with json_get_parsed when fields is given)
        <alias>.index   0-based position

    A row whose array is empty, null or missing yields no row (Snowflake
    FLATTEN without outer). On DuckDB the elements are unnested in the select
    list: a lateral join there is planned as a join back on the array's JSON text
    (2.4x slower on the order lines, same rows).

        from {{ unnest_array('orders', 'orders', 'orders.items', 'item', {'sku': 'varchar'}) }}
-#}
{% macro unnest_array(relation, relation_alias, expr, alias, fields=none) -%}
    {{ return(adapter.dispatch('unnest_array', 'glueflake')(relation, relation_alias, expr, alias, fields)) }}
{%- endmacro %}

{% macro default__unnest_array(relation, relation_alias, expr, alias, fields) -%}
    {{ exceptions.raise_compiler_error("unnest_array is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__unnest_array(relation, relation_alias, expr, alias, fields) -%}
    {%- set elements = alias ~ '__elements' -%}
    {%- set value = alias ~ '__value' -%}
    {%- set index = alias ~ '__index' -%}
    (
        select
            * exclude ({{ value }}, {{ index }}),
            struct_pack(value := {{ value }}, index := {{ index }}) as {{ alias }}
        from (
            select
                * exclude ({{ elements }}),
                unnest({{ elements }}) as {{ value }},
                generate_subscripts({{ elements }}, 1) - 1 as {{ index }}
            from (
                select
                    {{ relation_alias }}.*,
                    {%- if fields is not none %}
                    json_transform({{ expr }}, '[{{ glueflake.duckdb__json_structure(fields) }}]') as {{ elements }}
                    {%- else %}
                    json_transform({{ expr }}, '["JSON"]') as {{ elements }}
                    {%- endif %}
                from {{ relation }} as {{ relation_alias }}
            ) as {{ relation_alias }}
        ) as {{ relation_alias }}
    ) as {{ relation_alias }}
{%- endmacro %}

{% macro snowflake__unnest_array(relation, relation_alias, expr, alias, fields) -%}
    {{ relation }} as {{ relation_alias }},
    lateral flatten(input => {{ expr }}) as {{ alias }}
{%- endmacro %}

{% macro flatten_object(expr, alias) -%}
    {{ return(adapter.dispatch('flatten_object', 'glueflake')(expr, alias)) }}
{%- endmacro %}

{% macro default__flatten_object(expr, alias) -%}
    {{ exceptions.raise_compiler_error("flatten_object is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__flatten_object(expr, alias) -%}
    {#- One parse of the object into a map (NULL for a value that is not an object). -#}
    left join lateral (
        select
            object_entries.entry.key,
            object_entries.entry.value
        from (
            select unnest(map_entries(json_transform({{ expr }}, '"MAP(VARCHAR, JSON)"'))) as entry
        ) as object_entries
    ) as {{ alias }} on true
{%- endmacro %}

{% macro snowflake__flatten_object(expr, alias) -%}
    {#- An object is told by its JSON text: fakesnow has no IS_OBJECT. -#}
    , lateral flatten(
        input => case when left(to_json({{ expr }}), 1) = '{' then {{ expr }} else parse_json('{}') end,
        outer => true
    ) as {{ alias }}
{%- endmacro %}
