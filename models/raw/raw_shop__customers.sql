{#- Incremental on customer_id: the raw folder's merge strategy (dbt_project.yml). -#}
{{ config(materialized='incremental', unique_key='customer_id') }}

with

source as (

    select * from {{ source('landing', 'shop__customers') }}
    {% if is_incremental() %}
    where {{ landed_since_last_build('_loaded_at') }}
    {% endif %}

),

typed as (

    select
        {{ json_get('record', 'id', 'bigint') }} as customer_id,
        {{ json_get('record', 'email', 'varchar') }} as email,
        {{ json_get('record', 'first_name', 'varchar') }} as first_name,
        {{ json_get('record', 'last_name', 'varchar') }} as last_name,
        {{ json_get('record', 'country_code', 'varchar') }} as country_code_2,
        {{ json_get('record', 'tier', 'varchar') }} as tier,
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

    -- Latest version per customer: greatest updated_at, then the latest load.
    {{ latest_version('typed', 'customer_id', updated_at='updated_at') }}

)

select * from final
