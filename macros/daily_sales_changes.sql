{#-
    How fct_daily_sales is kept equal to a full rebuild while only the groups that
    changed are recomputed (a group: order_date, continent, country_code,
    currency_code).

    A changed order touches two groups: the one its new version counts in, and the
    one its previous version counted in (it may have moved to another day, country
    or currency, been cancelled or lost its items). Once fct_orders has merged the
    new version the previous one is gone, so fct_orders' pre-hook writes both keys
    first, into a side table next to the mart:

        fct_daily_sales__pending (order_date, continent, country_code,
                                  currency_code, rebuild_all)

    one row per group to recompute; `rebuild_all` marks a row that stands for every
    group (written when fct_orders itself is built from scratch: a first build or a
    --full-refresh, whose previous contents are not compared). fct_daily_sales then
    deletes those groups (its pre-hook), sums the current fct_orders rows of the same
    groups back in (append), and empties the table (post-hook). A group no order
    counts in any more is deleted and not re-inserted: it disappears, as in a full
    rebuild.

    Failure: on DuckDB each model's hooks run in its transaction. On Snowflake they
    autocommit; the keys stay in the side table until fct_daily_sales has succeeded,
    and recomputing a group from the current fct_orders is always right, so a failed
    or skipped fct_daily_sales build is caught up by the next one. Dropping the side
    table by hand loses the record: rebuild fct_daily_sales with --full-refresh.

    Plain SQL that DuckDB and Snowflake both run (`create table if not exists`,
    `is not distinct from`, `delete ... using`), so no dispatch.
-#}

{#- The side table, in the schema of the model being built (both marts share it). -#}
{% macro daily_sales_pending() -%}
    {{ return(api.Relation.create(
        database=this.database,
        schema=this.schema,
        identifier='fct_daily_sales__pending',
        type='table',
    )) }}
{%- endmacro %}

{#- The group an fct_orders row counts in, as fct_daily_sales names its columns. -#}
{% macro daily_sales_group_columns(orders='') -%}
    {%- set prefix = orders ~ '.' if orders else '' -%}
    {{ prefix }}order_date,
    coalesce({{ prefix }}shipping_continent, 'Unknown') as continent,
    coalesce({{ prefix }}shipping_country_code, 'UNK') as country_code,
    {{ prefix }}currency_code
{%- endmacro %}

{#- Both sides hold the same group (null-safe: currency_code may be null). -#}
{% macro daily_sales_same_group(left, right) -%}
    {%- for column in ['order_date', 'continent', 'country_code', 'currency_code'] %}
    {{ 'and ' if not loop.first }}{{ left }}.{{ column }} is not distinct from {{ right }}.{{ column }}
    {%- endfor %}
{%- endmacro %}

{% macro create_daily_sales_pending() -%}
    create table if not exists {{ daily_sales_pending() }} (
        order_date date,
        continent varchar,
        country_code varchar,
        currency_code varchar,
        rebuild_all boolean
    )
{%- endmacro %}

{#-
    fct_orders' pre-hook (after create_daily_sales_pending): the groups of the
    orders this build changes, before and after. `this` is fct_orders, still holding
    the previous versions; the changed orders are its model's own filter.
-#}
{% macro record_daily_sales_changes() -%}
    {%- if is_incremental() %}
    insert into {{ daily_sales_pending() }}
        (order_date, continent, country_code, currency_code, rebuild_all)
    select distinct
        {{ daily_sales_group_columns('touched') }},
        false as rebuild_all
    from (
        select order_date, shipping_continent, shipping_country_code, currency_code
        from {{ ref('int_orders') }}
        where {{ raw_rows_since_last_build() }}
        union all
        select order_date, shipping_continent, shipping_country_code, currency_code
        from {{ this }}
        where order_id in (
            select order_id
            from {{ ref('int_orders') }}
            where {{ raw_rows_since_last_build() }}
        )
    ) as touched
    {%- else %}
    insert into {{ daily_sales_pending() }} (rebuild_all) values (true)
    {%- endif %}
{%- endmacro %}

{#-
    fct_daily_sales' pre-hooks (after create_daily_sales_pending): remove the groups
    about to be recomputed; every group when a row says rebuild_all. Two statements,
    so the group delete stays an equi-join. Nothing on a first build or full refresh.
-#}
{% macro delete_daily_sales_if_rebuild_all() -%}
    {%- if is_incremental() %}
    delete from {{ this }}
    where exists (
        select 1
        from {{ daily_sales_pending() }} as pending
        where pending.rebuild_all
    )
    {%- endif %}
{%- endmacro %}

{% macro delete_pending_daily_sales() -%}
    {%- if is_incremental() %}
    delete from {{ this }} as sales
    using {{ daily_sales_pending() }} as pending
    where
        not pending.rebuild_all
        and {{ daily_sales_same_group('sales', 'pending') }}
    {%- endif %}
{%- endmacro %}

{#- fct_daily_sales' post-hook: every recorded group is built. -#}
{% macro clear_daily_sales_pending() -%}
    delete from {{ daily_sales_pending() }}
{%- endmacro %}
