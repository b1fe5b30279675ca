{#- Incremental on order_id: the raw folder's merge strategy (dbt_project.yml). -#}
{{ config(materialized='incremental', unique_key='order_id') }}

with

source as (

    select * from {{ source('landing', 'shop__orders') }}
    {% if is_incremental() %}
    where {{ landed_since_last_build('_loaded_at') }}
    {% endif %}

),

parsed as (

    -- The record is parsed once into the fields below (see json_parse).
    select
        {{ json_parse('record', {
            'id': 'bigint',
            'customer_id': 'bigint',
            'status': 'varchar',
            'currency': 'varchar',
            'shipping_country': 'varchar',
            'items': none,
            'created_at': 'timestamp',
            'updated_at': 'timestamp',
        }) }} as record_fields,
        record,
        _file_name,
        _file_row_number,
        _file_last_modified,
        _run_id,
        _loaded_at
    from source

),

typed as (

    select
        {{ json_get_parsed('parsed.record_fields', 'id', 'bigint') }} as order_id,
        {{ json_get_parsed('parsed.record_fields', 'customer_id', 'bigint') }} as customer_id,
        {{ json_get_parsed('parsed.record_fields', 'status', 'varchar') }} as status,
        {{ json_get_parsed('parsed.record_fields', 'currency', 'varchar') }} as currency_code,
        {{ json_get_parsed('parsed.record_fields', 'shipping_country', 'varchar') }}
            as shipping_country_code_2,
        {{ json_get_parsed('parsed.record_fields', 'items', source='parsed.record') }} as items,
        cast({{ json_array_length(
            json_get_parsed('parsed.record_fields', 'items', source='parsed.record')
        ) }} as integer) as item_count,
        {{ json_get_parsed('parsed.record_fields', 'created_at', 'timestamp') }} as created_at,
        {{ json_get_parsed('parsed.record_fields', 'updated_at', 'timestamp') }} as updated_at,
        parsed._file_name,
        parsed._file_row_number,
        {{ to_utc_timestamp('parsed._file_last_modified') }} as _file_last_modified,
        parsed._run_id,
        {{ to_utc_timestamp('parsed._loaded_at') }} as _loaded_at
    from parsed

),

final as (

    -- Latest version per order: greatest updated_at, then the latest load.
    {{ latest_version('typed', 'order_id', updated_at='updated_at') }}

)

select * from final
