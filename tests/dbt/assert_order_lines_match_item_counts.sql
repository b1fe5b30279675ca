-- The incremental order lines hold exactly the items of the current version of
-- every order: no stale lines from an earlier version, none missing. An order
-- whose items were all removed (or are missing) counts 0 items and must have no
-- line left; a line whose order is unknown is an error.
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
        orders.order_id is not null as has_order,
        coalesce(orders.item_count, 0) as item_count,
        coalesce(lines_per_order.line_count, 0) as line_count
    from orders
    full outer join lines_per_order
        on orders.order_id = lines_per_order.order_id

)

select * from final
where not has_order or item_count != line_count
