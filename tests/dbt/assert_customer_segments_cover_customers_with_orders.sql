-- customer_segments (a Python model) holds exactly one row per customer with orders
-- in fct_orders: none missing, none extra (its unique test rules out doubles), and
-- the order counts agree. Returns the customers that disagree.
with

orders as (

    select * from {{ ref('fct_orders') }}

),

segments as (

    select * from {{ ref('customer_segments') }}

),

customers_with_orders as (

    select
        customer_id,
        count(*) as order_count
    from orders
    where customer_id is not null
    group by customer_id

),

final as (

    select
        coalesce(customers_with_orders.customer_id, segments.customer_id) as customer_id,
        customers_with_orders.order_count as fct_order_count,
        segments.order_count as segment_order_count
    from customers_with_orders
    full outer join segments
        on customers_with_orders.customer_id = segments.customer_id

)

select * from final
where
    fct_order_count is null
    or segment_order_count is null
    or fct_order_count != segment_order_count
