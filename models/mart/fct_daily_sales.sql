with

orders as (

    select * from {{ ref('fct_orders') }}

),

final as (

    -- Each order counts once, under its shipping country's primary continent, so
    -- summing any column over continents gives the company total.
    select
        order_date,
        coalesce(shipping_continent, 'Unknown') as continent,
        coalesce(shipping_country_code, 'UNK') as country_code,
        currency_code,
        cast(count(*) as integer) as order_count,
        cast(sum(item_quantity) as integer) as item_quantity,
        cast(sum(revenue) as decimal(18, 2)) as gross_revenue,
        cast(sum(revenue_usd) as decimal(18, 2)) as gross_revenue_usd,
        cast(
            sum(case when not is_cancelled_or_returned then revenue_usd else 0 end)
            as decimal(18, 2)
        ) as net_revenue_usd,
        cast(sum(case when is_cancelled_or_returned then 1 else 0 end) as integer)
            as cancelled_or_returned_count
    from orders
    group by
        order_date,
        coalesce(shipping_continent, 'Unknown'),
        coalesce(shipping_country_code, 'UNK'),
        currency_code

)

select * from final
