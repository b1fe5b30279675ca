with

customers as (

    select * from {{ ref('raw_shop__customers') }}

),

countries as (

    select * from {{ ref('int_countries') }}

),

final as (

    select
        customers.customer_id,
        customers.email,
        customers.first_name,
        customers.last_name,
        customers.first_name || ' ' || customers.last_name as full_name,
        lower(customers.tier) as tier,
        customers.country_code_2,
        countries.country_code,
        countries.country_name,
        countries.region,
        countries.primary_continent,
        customers.created_at,
        customers.updated_at,
        customers._loaded_at
    from customers
    left join countries
        on customers.country_code_2 = countries.country_code_2

)

select * from final
