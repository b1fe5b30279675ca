-- daily_sales_anomalies (a Python model) fills the days without orders with zeros,
-- so per continent and currency its orders and net revenue add up to fct_daily_sales
-- exactly, and every series runs to the latest order date. Returns the series that
-- disagree.
with

daily_sales as (

    select * from {{ ref('fct_daily_sales') }}

),

anomalies as (

    select * from {{ ref('daily_sales_anomalies') }}

),

sales_totals as (

    select
        continent,
        currency_code,
        sum(order_count) as order_count,
        sum(net_revenue_usd) as net_revenue_usd,
        min(order_date) as first_date
    from daily_sales
    group by continent, currency_code

),

anomaly_totals as (

    select
        continent,
        currency_code,
        sum(order_count) as order_count,
        sum(net_revenue_usd) as net_revenue_usd,
        min(order_date) as first_date,
        max(order_date) as last_date,
        count(*) as day_count
    from anomalies
    group by continent, currency_code

),

latest as (

    select max(order_date) as last_date from daily_sales

),

final as (

    select
        coalesce(sales_totals.continent, anomaly_totals.continent) as continent,
        coalesce(sales_totals.currency_code, anomaly_totals.currency_code) as currency_code,
        sales_totals.order_count as sales_order_count,
        anomaly_totals.order_count as anomaly_order_count,
        sales_totals.net_revenue_usd as sales_net_revenue_usd,
        anomaly_totals.net_revenue_usd as anomaly_net_revenue_usd,
        anomaly_totals.first_date = sales_totals.first_date
        and anomaly_totals.last_date = latest.last_date
        and anomaly_totals.day_count = anomaly_totals.last_date - anomaly_totals.first_date + 1
            as is_complete_calendar
    from sales_totals
    full outer join anomaly_totals
        on
            sales_totals.continent = anomaly_totals.continent
            and sales_totals.currency_code = anomaly_totals.currency_code
    cross join latest

)

select * from final
where
    sales_order_count is null
    or anomaly_order_count is null
    or sales_order_count != anomaly_order_count
    or abs(sales_net_revenue_usd - anomaly_net_revenue_usd) >= 0.01
    or not is_complete_calendar
