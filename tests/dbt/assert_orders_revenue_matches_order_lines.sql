-- The orders fact's revenue equals the sum of its order lines, in total and per
-- order, in the order currency and in USD: an order without lines (its items were
-- all removed) has revenue 0. Returns the orders that disagree (and a '__total__'
-- row if the grand totals differ, e.g. lines without an order).
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

    -- An empty side sums to 0, not null (which would compare as neither equal nor
    -- different): every order may have had its items removed.
    select
        '__total__' as order_ref,
        (select coalesce(sum(orders.revenue), 0) as total from orders) as fact_revenue,
        (
            select coalesce(sum(order_lines.line_amount), 0) as total from order_lines
        ) as lines_revenue,
        (select coalesce(sum(orders.revenue_usd), 0) as total from orders) as fact_revenue_usd,
        (
            select coalesce(sum(order_lines.line_amount_usd), 0) as total from order_lines
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
