with

source as (

    select * from {{ source('landing', 'shop__orders') }}

),

typed as (

    select
        {{ json_get('record', 'id', 'bigint') }} as order_id,
        {{ json_get('record', 'customer_id', 'bigint') }} as customer_id,
        {{ json_get('record', 'status', 'varchar') }} as status,
        {{ json_get('record', 'currency', 'varchar') }} as currency_code,
        {{ json_get('record', 'shipping_country', 'varchar') }} as shipping_country_code_2,
        {{ json_get('record', 'items') }} as items,
        cast({{ json_array_length(json_get('record', 'items')) }} as integer) as item_count,
        {{ json_get('record', 'created_at', 'timestamp') }} as created_at,
        {{ json_get('record', 'updated_at', 'timestamp') }} as updated_at,
        _file_name,
        _file_row_number,
        {{ to_utc_timestamp('_file_last_modified') }} as _file_last_modified,
        _run_id,
        {{ to_utc_timestamp('_loaded_at') }} as _loaded_at
    from source

),

final as (

    -- Latest version per order: greatest updated_at, then the latest load.
    select
        *,
        count(*) over (partition by order_id) as _versions_seen
    from typed
    where order_id is not null
    qualify row_number() over (
        partition by order_id
        order by
            updated_at desc nulls last,
            _loaded_at desc,
            _file_name desc,
            _file_row_number desc
    ) = 1

)

select * from final
