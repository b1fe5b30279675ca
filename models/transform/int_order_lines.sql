{#-
    delete+insert keyed on order_id rather than a merge on the line key: when a
    changed order arrives, all its old lines are removed before the new ones are
    written, so a line that disappeared from an order cannot linger. dbt-duckdb
    and dbt-snowflake both support it.

    delete+insert only deletes the orders present in the batch, and an order whose
    new version has no items (`[]`, null or missing: its items were all removed)
    brings no line into it. So the pre-hook first deletes the lines of the changed
    orders (the model's own filter) that have no items left, as a full rebuild
    would have none. Deleting them may lower the model's max(_loaded_at), so the
    batch can re-read a few orders already built: delete+insert rewrites them as
    they were. The hook is rendered when it runs (hence the raw block), so `this`
    and is_incremental() are the model's; on a first build or a full refresh it
    renders nothing and dbt skips it. On DuckDB it runs in the model's
    transaction; dbt-snowflake autocommits it on its own, which is safe: after a
    failed build the next one deletes the same lines again.
-#}
{%- set delete_lines_of_emptied_orders -%}
{%- raw -%}
    {% if is_incremental() %}
    delete from {{ this }}
    where order_id in (
        select order_id
        from {{ ref('raw_shop__orders') }}
        where
            {{ raw_rows_since_last_build() }}
            and coalesce(item_count, 0) = 0
    )
    {% endif %}
{%- endraw -%}
{%- endset -%}

{{
    config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        pre_hook=delete_lines_of_emptied_orders,
    )
}}

with

orders as (

    select * from {{ ref('raw_shop__orders') }}
    {% if is_incremental() %}
    -- Only orders whose kept version changed since the last build (raw keeps the
    -- _loaded_at of the kept version).
    where {{ raw_rows_since_last_build() }}
    {% endif %}

),

exchange_rates as (

    select * from {{ ref('exchange_rates') }}

),

flattened as (

    select
        orders.order_id,
        orders.customer_id,
        upper(orders.currency_code) as currency_code,
        cast(orders.created_at as date) as order_date,
        orders._loaded_at,
        item.index + 1 as line_number,
        {{ json_get_parsed('item.value', 'sku', 'varchar') }} as sku,
        {{ json_get_parsed('item.value', 'quantity', 'integer') }} as quantity,
        {{ json_get_parsed('item.value', 'unit_price', 'decimal(18, 2)') }} as unit_price
    -- One row per item, each parsed once into these fields; an order whose items
    -- are empty or missing has no lines (see unnest_array), and the pre-hook
    -- removes the lines its earlier version had.
    from {{ unnest_array('orders', 'orders', 'orders.items', 'item', {
        'sku': 'varchar',
        'quantity': 'integer',
        'unit_price': 'decimal(18, 2)',
    }) }}

),

converted as (

    select
        flattened.*,
        exchange_rates.units_per_usd,
        cast(flattened.quantity * flattened.unit_price as decimal(18, 2)) as line_amount,
        cast(
            flattened.quantity * flattened.unit_price / exchange_rates.units_per_usd
            as decimal(18, 2)
        ) as line_amount_usd
    from flattened
    left join exchange_rates
        on flattened.currency_code = exchange_rates.currency_code

),

final as (

    select
        cast(order_id as varchar) || '-' || cast(line_number as varchar) as order_line_id,
        order_id,
        line_number,
        customer_id,
        order_date,
        sku,
        quantity,
        unit_price,
        currency_code,
        units_per_usd,
        line_amount,
        line_amount_usd,
        _loaded_at
    from converted

)

select * from final
