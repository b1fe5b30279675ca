-- One row per (continent, country): a country listed under several continents
-- (Russia, Türkiye...) appears once per continent, flagged is_primary_continent.
-- The seed project kept one copied model per continent; here the continent is a
-- column, checked against the continents seed: filter on it for one continent.
with

countries as (

    select * from {{ ref('dim_countries') }}

),

country_continents as (

    select * from {{ ref('int_country_continents') }}

),

continent_reference as (

    select * from {{ ref('continents') }}

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
        countries.currency_count,
        countries.currency_codes,
        countries.language_count,
        countries.languages,
        country_continents.is_primary_continent
    from country_continents
    inner join countries
        on country_continents.country_code = countries.country_code
    left join continent_reference
        on country_continents.continent = continent_reference.continent_name

)

select * from final
