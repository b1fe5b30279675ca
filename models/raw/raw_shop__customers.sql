{#- Incremental on customer_id: the raw folder's merge strategy (dbt_project.yml). -#}
{{ config(materialized='incremental', unique_key='customer_id') }}

{#- The fields read from each record, with their types (see json_fields.sql). -#}
{%- set fields = {
    'id': 'bigint',
    'email': 'varchar',
    'first_name': 'varchar',
    'last_name': 'varchar',
    'country_code': 'varchar',
    'tier': 'varchar',
    'created_at': 'timestamp',
    'updated_at': 'timestamp',
} -%}

with

source as (

    select * from {{ source('landing', 'shop__customers') }}
    {% if is_incremental() %}
    where {{ landing_rows_since_last_build() }}
    {% endif %}

),

parsed as (

    -- The record is parsed once, into the fields above (see json_parse).
    select
        {{ json_parse('record', fields) }} as record_fields,
        _file_name,
        _file_row_number,
        _file_last_modified,
        _run_id,
        _loaded_at
    from source

),

typed as (

    select
        {{ json_get_parsed('parsed.record_fields', 'id', fields) }} as customer_id,
        {{ json_get_parsed('parsed.record_fields', 'email', fields) }} as email,
        {{ json_get_parsed('parsed.record_fields', 'first_name', fields) }} as first_name,
        {{ json_get_parsed('parsed.record_fields', 'last_name', fields) }} as last_name,
        {{ json_get_parsed('parsed.record_fields', 'country_code', fields) }} as country_code_2,
        {{ json_get_parsed('parsed.record_fields', 'tier', fields) }} as tier,
        {{ json_get_parsed('parsed.record_fields', 'created_at', fields) }} as created_at,
        {{ json_get_parsed('parsed.record_fields', 'updated_at', fields) }} as updated_at,
        {{ json_rescued('parsed.record_fields', fields) }} as _rescued,
        parsed._file_name,
        parsed._file_row_number,
        {{ to_utc_timestamp('parsed._file_last_modified') }} as _file_last_modified,
        parsed._run_id,
        {{ to_utc_timestamp('parsed._loaded_at') }} as _loaded_at
    from parsed

),

final as (

    -- Latest version per customer: greatest updated_at, then the latest load.
    {{ latest_version('typed', 'customer_id', updated_at='updated_at') }}

)

select * from final
