with

orders as (

    select * from {{ ref('int_orders') }}

),

order_lines as (

    select * from {{ ref('int_order_lines') }}

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
        orders.updated_at
    from orders
    left join order_totals
        on orders.order_id = order_totals.order_id

)

select * from final
