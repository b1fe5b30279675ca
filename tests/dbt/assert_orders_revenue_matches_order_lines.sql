-- The orders fact's revenue equals the sum of its order lines, in total and per
-- order, in the order currency and in USD. Returns the orders that disagree (and
-- a '__total__' row if the grand totals differ, e.g. lines without an order).
with

orders as (

    select * from {{ ref('fct_orders') }}

),

order_lines as (

    select * from {{ ref('int_order_lines') }}

),

line_totals as (

    select
        order_id,
        sum(line_amount) as revenue,
        sum(line_amount_usd) as revenue_usd
    from order_lines
    group by order_id

),

per_order as (

    select
        cast(orders.order_id as varchar) as order_ref,
        orders.revenue as fact_revenue,
        coalesce(line_totals.revenue, 0) as lines_revenue,
        orders.revenue_usd as fact_revenue_usd,
        coalesce(line_totals.revenue_usd, 0) as lines_revenue_usd
    from orders
    left join line_totals
        on orders.order_id = line_totals.order_id

),

grand_total as (

    select
        '__total__' as order_ref,
        (select sum(orders.revenue) as total from orders) as fact_revenue,
        (select sum(order_lines.line_amount) as total from order_lines) as lines_revenue,
        (select sum(orders.revenue_usd) as total from orders) as fact_revenue_usd,
        (
            select sum(order_lines.line_amount_usd) as total from order_lines
        ) as lines_revenue_usd

),

final as (

    select * from per_order
    union all
    select * from grand_total

)

select * from final
where
    abs(fact_revenue - lines_revenue) >= 0.01
    or abs(fact_revenue_usd - lines_revenue_usd) >= 0.01
