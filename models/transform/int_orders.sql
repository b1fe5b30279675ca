{{
    config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy='merge',
        on_schema_change='append_new_columns',
    )
}}

with

orders as (

    select * from {{ ref('raw_shop__orders') }}
    {% if is_incremental() %}
    -- Only orders whose kept version changed since the last build (raw keeps the
    -- _loaded_at of the kept version).
    where {{ raw_rows_since_last_build() }}
    {% endif %}

),

countries as (

    select * from {{ ref('int_countries') }}

),

final as (

    select
        orders.order_id,
        orders.customer_id,
        lower(orders.status) as status,
        upper(orders.currency_code) as currency_code,
        orders.shipping_country_code_2,
        countries.country_code as shipping_country_code,
        countries.primary_continent as shipping_continent,
        cast(orders.created_at as date) as order_date,
        orders.created_at,
        orders.updated_at,
        orders.item_count,
        lower(orders.status) in ('cancelled', 'returned') as is_cancelled_or_returned,
        orders._loaded_at
    from orders
    left join countries
        on orders.shipping_country_code_2 = countries.country_code_2

)

select * from final
