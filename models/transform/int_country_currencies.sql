with

countries as (

    select * from {{ ref('raw_restcountries__countries') }}

),

flattened as (

    -- Outer flatten: countries with no currency (Antarctica) keep one row with nulls.
    select
        countries.country_code,
        countries.country_name,
        countries.capital,
        currency.key as currency_code,
        {{ json_get('currency.value', 'name', 'varchar') }} as currency_name,
        {{ json_get('currency.value', 'symbol', 'varchar') }} as currency_symbol
    from countries
    {{ flatten_object('countries.currencies', 'currency') }}

),

final as (

    select
        country_code,
        currency_code,
        country_name,
        capital,
        currency_name,
        currency_symbol
    from flattened

)

select * from final
