{#-
    Country details per continent: one row per (continent, country) with the
    country's capital, size, currencies and languages.

    The seed project kept one copied model per continent. Here the logic lives
    once in this macro, and the single model `country_details_by_continent` calls it
    once for all continents (the continent is a column, checked against the
    `continents` seed). Pass `continents` (a list of names) to restrict it, e.g. in
    an analysis or a downstream model that needs only one continent:

        {{ country_details(continents=['Europe']) }}

    Countries listed under several continents (Russia, Türkiye...) appear once per
    continent, flagged with is_primary_continent.
-#}
{% macro country_details(continents=none) %}

with

countries as (

    select * from {{ ref('int_countries') }}

),

country_continents as (

    select * from {{ ref('int_country_continents') }}

),

country_currencies as (

    select * from {{ ref('int_country_currencies') }}

),

country_languages as (

    select * from {{ ref('int_country_languages') }}

),

continent_reference as (

    select * from {{ ref('continents') }}

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
        continent_reference.continent_code,
        country_continents.continent,
        countries.country_code,
        countries.country_code_2,
        countries.country_name,
        countries.official_name,
        countries.region,
        countries.subregion,
        countries.capital,
        countries.population,
        countries.area_km2,
        countries.population_per_km2,
        cast(coalesce(currencies_per_country.currency_count, 0) as integer) as currency_count,
        currencies_per_country.currency_codes,
        cast(coalesce(languages_per_country.language_count, 0) as integer) as language_count,
        languages_per_country.languages,
        country_continents.is_primary_continent
    from country_continents
    inner join countries
        on country_continents.country_code = countries.country_code
    left join continent_reference
        on country_continents.continent = continent_reference.continent_name
    left join currencies_per_country
        on countries.country_code = currencies_per_country.country_code
    left join languages_per_country
        on countries.country_code = languages_per_country.country_code
    {%- if continents is not none %}
        where country_continents.continent in (
            {%- for continent in continents %}
                '{{ continent }}'{{ ',' if not loop.last }}
            {%- endfor %}
        )
    {%- endif %}

)

select * from final

{% endmacro %}
