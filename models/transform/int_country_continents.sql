with

countries as (

    select * from {{ ref('raw_restcountries__countries') }}

),

flattened as (

    -- Outer flatten: a country without continents keeps one row with a null continent.
    select
        countries.country_code,
        countries.country_name,
        {{ json_get('continent.value', none, 'varchar') }} as continent,
        continent.index as continent_index
    from countries
    {{ flatten_array('countries.continents', 'continent') }}

),

final as (

    select
        country_code,
        continent,
        country_name,
        coalesce(continent_index = 0, false) as is_primary_continent
    from flattened

)

select * from final
