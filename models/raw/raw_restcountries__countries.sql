with

source as (

    select * from {{ source('landing', 'restcountries__countries') }}

),

typed as (

    select
        {{ json_get('record', 'cca3', 'varchar') }} as country_code,
        {{ json_get('record', 'cca2', 'varchar') }} as country_code_2,
        {{ json_get('record', 'name.common', 'varchar') }} as country_name,
        {{ json_get('record', 'name.official', 'varchar') }} as official_name,
        {{ json_get('record', 'region', 'varchar') }} as region,
        {{ json_get('record', 'subregion', 'varchar') }} as subregion,
        {{ json_get('record', 'capital[0]', 'varchar') }} as capital,
        {{ json_get('record', 'independent', 'boolean') }} as is_independent,
        {{ json_get('record', 'unMember', 'boolean') }} as is_un_member,
        {{ json_get('record', 'landlocked', 'boolean') }} as is_landlocked,
        {{ json_get('record', 'population', 'bigint') }} as population,
        {{ json_get('record', 'area', 'double') }} as area_km2,
        {{ json_get('record', 'latlng[0]', 'double') }} as latitude,
        {{ json_get('record', 'latlng[1]', 'double') }} as longitude,
        {{ json_get('record', 'startOfWeek', 'varchar') }} as start_of_week,
        {{ json_get('record', 'car.side', 'varchar') }} as driving_side,
        {{ json_get('record', 'capital') }} as capitals,
        {{ json_get('record', 'continents') }} as continents,
        {{ json_get('record', 'currencies') }} as currencies,
        {{ json_get('record', 'languages') }} as languages,
        {{ json_get('record', 'borders') }} as borders,
        _file_name,
        _file_row_number,
        {{ to_utc_timestamp('_file_last_modified') }} as _file_last_modified,
        _run_id,
        {{ to_utc_timestamp('_loaded_at') }} as _loaded_at
    from source

),

final as (

    -- The countries payload has no updated_at: the latest load wins.
    {{ latest_version('typed', 'country_code') }}

)

select * from final
