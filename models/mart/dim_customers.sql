with

customer_versions as (

    select * from {{ ref('snap_customers') }}

),

countries as (

    select * from {{ ref('int_countries') }}

),

final as (

    select
        customer_versions.dbt_scd_id as customer_version_id,
        customer_versions.customer_id,
        customer_versions.email,
        customer_versions.first_name,
        customer_versions.last_name,
        customer_versions.first_name || ' ' || customer_versions.last_name as full_name,
        lower(customer_versions.tier) as tier,
        customer_versions.country_code_2,
        countries.country_code,
        countries.country_name,
        countries.primary_continent,
        customer_versions.created_at,
        customer_versions.updated_at,
        customer_versions.dbt_valid_from as valid_from,
        customer_versions.dbt_valid_to as valid_to,
        customer_versions.dbt_valid_to is null as is_current
    from customer_versions
    left join countries
        on customer_versions.country_code_2 = countries.country_code_2

)

select * from final
