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
