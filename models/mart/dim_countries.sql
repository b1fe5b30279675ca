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

country_calling_codes as (

    select * from {{ ref('int_country_calling_codes') }}

),

country_timezones as (

    select * from {{ ref('int_country_timezones') }}

),

country_gini as (

    select * from {{ ref('int_country_gini') }}

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

calling_codes_per_country as (

    select
        country_code,
        {{ dbt.listagg('calling_code', "', '", 'order by calling_code') }} as calling_codes
    from country_calling_codes
    group by country_code

),

timezones_per_country as (

    select
        country_code,
        count(timezone) as timezone_count,
        {{ dbt.listagg('timezone', "', '", 'order by utc_offset_minutes, timezone') }} as timezones
    from country_timezones
    group by country_code

),

latest_gini as (

    select
        country_code,
        gini_year,
        gini_index
    from country_gini
    where gini_index is not null
    qualify row_number() over (partition by country_code order by gini_year desc) = 1

),

final as (

    select
        countries.country_code,
        countries.country_code_2,
        countries.country_code_numeric,
        countries.olympic_code,
        countries.fifa_code,
        countries.country_name,
        countries.official_name,
        countries.region,
        countries.subregion,
        countries.primary_continent,
        countries.continent_count,
        countries.capital,
        countries.capital_count,
        countries.capital_latitude,
        countries.capital_longitude,
        countries.is_independent,
        countries.is_un_member,
        countries.is_landlocked,
        countries.population,
        countries.area_km2,
        countries.population_per_km2,
        countries.latitude,
        countries.longitude,
        countries.calling_code,
        calling_codes_per_country.calling_codes,
        countries.top_level_domain,
        cast(coalesce(timezones_per_country.timezone_count, 0) as integer) as timezone_count,
        timezones_per_country.timezones,
        countries.demonym,
        latest_gini.gini_year,
        latest_gini.gini_index,
        countries.flag_emoji,
        countries.flag_svg_url,
        countries.google_maps_url,
        cast(coalesce(currencies_per_country.currency_count, 0) as integer) as currency_count,
        currencies_per_country.currency_codes,
        cast(coalesce(languages_per_country.language_count, 0) as integer) as language_count,
        languages_per_country.languages
    from countries
    left join currencies_per_country
        on countries.country_code = currencies_per_country.country_code
    left join languages_per_country
        on countries.country_code = languages_per_country.country_code
    left join calling_codes_per_country
        on countries.country_code = calling_codes_per_country.country_code
    left join timezones_per_country
        on countries.country_code = timezones_per_country.country_code
    left join latest_gini
        on countries.country_code = latest_gini.country_code

)

select * from final
