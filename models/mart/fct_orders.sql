{#-
    Incremental, merged on order_id: a build reads only the orders int_orders
    changed since the last one (raw_rows_since_last_build: int_orders keeps the
    `_loaded_at` of the version it holds, and so does this model) and every current
    line of those orders, so a changed order's totals are summed afresh and an order
    that lost all its items gets zeros, as in a full rebuild. Before the merge
    replaces them, the pre-hooks record the daily-sales groups of the changed orders'
    previous and new versions for fct_daily_sales (macros/daily_sales_changes.sql).
    It follows int_orders' and int_order_lines' versions: both are built from the
    same raw version of an order, with the same `_loaded_at`, before this model.
-#}
{{
    config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy='merge',
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ create_daily_sales_pending() }}",
            "{{ record_daily_sales_changes() }}",
        ],
    )
}}

with

orders as (

    select * from {{ ref('int_orders') }}
    {% if is_incremental() %}
    where {{ raw_rows_since_last_build() }}
    {% endif %}

),

order_lines as (

    select * from {{ ref('int_order_lines') }}
    {% if is_incremental() %}
    -- Every line of the changed orders (an order's lines are replaced as a set).
    where order_id in (select orders.order_id from orders)
    {% endif %}

),

order_totals as (

    select
        order_id,
        count(*) as line_count,
        sum(quantity) as item_quantity,
        sum(line_amount) as revenue,
        sum(line_amount_usd) as revenue_usd
    from order_lines
    group by order_id

),

final as (

    select
        orders.order_id,
        orders.customer_id,
        orders.order_date,
        orders.status,
        orders.is_cancelled_or_returned,
        orders.currency_code,
        orders.shipping_country_code,
        orders.shipping_country_code_2,
        orders.shipping_continent,
        cast(coalesce(order_totals.line_count, 0) as integer) as line_count,
        cast(coalesce(order_totals.item_quantity, 0) as integer) as item_quantity,
        cast(coalesce(order_totals.revenue, 0) as decimal(18, 2)) as revenue,
        cast(coalesce(order_totals.revenue_usd, 0) as decimal(18, 2)) as revenue_usd,
        orders.created_at,
        orders.updated_at,
        orders._loaded_at
    from orders
    left join order_totals
        on orders.order_id = order_totals.order_id

)

select * from final
