with

countries as (

    select * from {{ ref('raw_restcountries__countries') }}

),

final as (

    select
        country_code,
        country_code_2,
        country_name,
        official_name,
        region,
        subregion,
        {{ json_get('continents', '[0]', 'varchar') }} as primary_continent,
        capital,
        is_independent,
        is_un_member,
        is_landlocked,
        population,
        area_km2,
        case
            when area_km2 > 0 then population / area_km2
        end as population_per_km2,
        latitude,
        longitude,
        start_of_week,
        driving_side,
        cast(coalesce({{ json_array_length('continents') }}, 0) as integer) as continent_count,
        cast(coalesce({{ json_array_length('capitals') }}, 0) as integer) as capital_count,
        _loaded_at
    from countries

)

select * from final
