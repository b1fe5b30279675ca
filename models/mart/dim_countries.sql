with

countries as (

    select * from {{ ref('int_countries') }}

),

country_currencies as (

    select * from {{ ref('int_country_currencies') }}

),

country_languages as (

    select * from {{ ref('int_country_languages') }}

),

currencies_per_country as (

    select
        country_code,
        count(currency_code) as currency_count,
        {{ dbt.listagg('currency_code', "', '", 'order by currency_code') }} as currency_codes
    from country_currencies
    group by country_code

),

languages_per_country as (

    select
        country_code,
        count(language_code) as language_count,
        {{ dbt.listagg('language_name', "', '", 'order by language_name') }} as languages
    from country_languages
    group by country_code

),

final as (

    select
        countries.country_code,
        countries.country_code_2,
        countries.country_name,
        countries.official_name,
        countries.region,
        countries.subregion,
        countries.primary_continent,
        countries.continent_count,
        countries.capital,
        countries.is_independent,
        countries.is_un_member,
        countries.is_landlocked,
        countries.population,
        countries.area_km2,
        countries.population_per_km2,
        countries.latitude,
        countries.longitude,
        cast(coalesce(currencies_per_country.currency_count, 0) as integer) as currency_count,
        currencies_per_country.currency_codes,
        cast(coalesce(languages_per_country.language_count, 0) as integer) as language_count,
        languages_per_country.languages
    from countries
    left join currencies_per_country
        on countries.country_code = currencies_per_country.country_code
    left join languages_per_country
        on countries.country_code = languages_per_country.country_code

)

select * from final
