with

countries as (

    select * from {{ ref('raw_restcountries__countries') }}

),

final as (

    select
        country_code,
        country_code_2,
        country_code_numeric,
        olympic_code,
        fifa_code,
        country_name,
        official_name,
        region,
        subregion,
        {{ json_get('continents', '[0]', 'varchar') }} as primary_continent,
        capital,
        capital_latitude,
        capital_longitude,
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
        -- The first calling code: the root and its first suffix, if any (+33, +1242, +7).
        calling_code_root || coalesce({{ json_get('calling_code_suffixes', '[0]', 'varchar') }}, '')
            as calling_code,
        {{ json_get('tlds', '[0]', 'varchar') }} as top_level_domain,
        {{ json_get('demonyms', 'eng.m', 'varchar') }} as demonym,
        flag_emoji,
        flag_svg_url,
        google_maps_url,
        cast(coalesce({{ json_array_length('continents') }}, 0) as integer) as continent_count,
        cast(coalesce({{ json_array_length('capitals') }}, 0) as integer) as capital_count,
        _loaded_at
    from countries

)

select * from final
