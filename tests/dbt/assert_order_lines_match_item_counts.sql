-- The incremental order lines hold exactly the items of the current version of
-- every order: no stale lines from an earlier version, none missing.
with

orders as (

    select * from {{ ref('int_orders') }}

),

order_lines as (

    select * from {{ ref('int_order_lines') }}

),

lines_per_order as (

    select
        order_id,
        count(*) as line_count
    from order_lines
    group by order_id

),

final as (

    select
        coalesce(orders.order_id, lines_per_order.order_id) as order_id,
        orders.item_count,
        lines_per_order.line_count
    from orders
    full outer join lines_per_order
        on orders.order_id = lines_per_order.order_id

)

select * from final
where item_count is null or line_count is null or item_count != line_count
