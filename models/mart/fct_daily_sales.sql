{#-
    Incremental: only the groups (order_date, continent, country_code,
    currency_code) that changed orders counted in before or count in now are
    recomputed from fct_orders; fct_orders' pre-hooks recorded them in a side table.
    The pre-hooks delete those groups, the build appends them summed afresh (a group
    no order counts in any more is not re-inserted), the post-hook empties the side
    table. See macros/daily_sales_changes.sql.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        pre_hook=[
            "{{ create_daily_sales_pending() }}",
            "{{ delete_daily_sales_if_rebuild_all() }}",
            "{{ delete_pending_daily_sales() }}",
        ],
        post_hook="{{ clear_daily_sales_pending() }}",
    )
}}

with

fct_orders as (

    select * from {{ ref('fct_orders') }}

),

orders as (

    select
        {{ daily_sales_group_columns() }},
        item_quantity,
        revenue,
        revenue_usd,
        is_cancelled_or_returned
    from fct_orders

),

{% if is_incremental() %}
pending as (

    select * from {{ daily_sales_pending() }}

),

changed_groups as (

    select distinct
        order_date,
        continent,
        country_code,
        currency_code
    from pending
    where not rebuild_all

),

changed_orders as (

    -- The orders of the recorded groups; every order when a row says rebuild_all.
    select orders.*
    from orders
    inner join changed_groups
        on {{ daily_sales_same_group('orders', 'changed_groups') }}
    where not exists (select 1 from pending where rebuild_all)

    union all

    select orders.*
    from orders
    where exists (select 1 from pending where rebuild_all)

),
{% else %}
changed_orders as (

    select * from orders

),
{% endif %}

final as (

    -- Each order counts once, under its shipping country's primary continent, so
    -- summing any column over continents gives the company total.
    select
        order_date,
        continent,
        country_code,
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
    from changed_orders
    group by
        order_date,
        continent,
        country_code,
        currency_code

)

select * from final
