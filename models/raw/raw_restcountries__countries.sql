{#-
    The fields read from each record, with their types (see json_fields.sql). A
    nested object is declared with the keys read from it, so a value of the wrong
    kind there (a string where the object belongs) is rescued too.
-#}
{%- set fields = {
    'cca3': 'varchar',
    'cca2': 'varchar',
    'ccn3': 'varchar',
    'cioc': 'varchar',
    'fifa': 'varchar',
    'status': 'varchar',
    'name': 'object',
    'name.common': 'varchar',
    'name.official': 'varchar',
    'name.nativeName': 'object',
    'region': 'varchar',
    'subregion': 'varchar',
    'independent': 'boolean',
    'unMember': 'boolean',
    'landlocked': 'boolean',
    'population': 'bigint',
    'area': 'double',
    'latlng': 'array',
    'latlng[0]': 'double',
    'latlng[1]': 'double',
    'capital': 'array',
    'capital[0]': 'varchar',
    'capitalInfo': 'object',
    'capitalInfo.latlng': 'array',
    'capitalInfo.latlng[0]': 'double',
    'capitalInfo.latlng[1]': 'double',
    'idd': 'object',
    'idd.root': 'varchar',
    'idd.suffixes': 'array',
    'startOfWeek': 'varchar',
    'car': 'object',
    'car.side': 'varchar',
    'car.signs': 'array',
    'flag': 'varchar',
    'flags': 'object',
    'flags.png': 'varchar',
    'flags.svg': 'varchar',
    'flags.alt': 'varchar',
    'maps': 'object',
    'maps.googleMaps': 'varchar',
    'maps.openStreetMaps': 'varchar',
    'altSpellings': 'array',
    'tld': 'array',
    'timezones': 'array',
    'continents': 'array',
    'borders': 'array',
    'currencies': 'object',
    'languages': 'object',
    'translations': 'object',
    'demonyms': 'object',
    'gini': 'object',
} -%}

with

source as (

    -- Countries are a replace-all entity: each extract lands the whole list, so
    -- only the latest committed payload is live (older runs are never read).
    select * from {{ source('landing', 'restcountries__countries') }}
    where {{ in_latest_payload(source('landing', 'restcountries__countries')) }}

),

parsed as (

    -- The record is parsed once, into the fields above (see json_parse).
    select
        {{ json_parse('record', fields) }} as record_fields,
        _file_name,
        _file_row_number,
        _file_last_modified,
        _run_id,
        _loaded_at
    from source

),

typed as (

    select
        {{ json_get_parsed('parsed.record_fields', 'cca3', fields) }} as country_code,
        {{ json_get_parsed('parsed.record_fields', 'cca2', fields) }} as country_code_2,
        {{ json_get_parsed('parsed.record_fields', 'ccn3', fields) }} as country_code_numeric,
        {{ json_get_parsed('parsed.record_fields', 'cioc', fields) }} as olympic_code,
        {{ json_get_parsed('parsed.record_fields', 'fifa', fields) }} as fifa_code,
        {{ json_get_parsed('parsed.record_fields', 'status', fields) }} as iso_status,
        {{ json_get_parsed('parsed.record_fields', 'name.common', fields) }} as country_name,
        {{ json_get_parsed('parsed.record_fields', 'name.official', fields) }} as official_name,
        {{ json_get_parsed('parsed.record_fields', 'region', fields) }} as region,
        {{ json_get_parsed('parsed.record_fields', 'subregion', fields) }} as subregion,
        {{ json_get_parsed('parsed.record_fields', 'capital[0]', fields) }} as capital,
        {{ json_get_parsed('parsed.record_fields', 'independent', fields) }} as is_independent,
        {{ json_get_parsed('parsed.record_fields', 'unMember', fields) }} as is_un_member,
        {{ json_get_parsed('parsed.record_fields', 'landlocked', fields) }} as is_landlocked,
        {{ json_get_parsed('parsed.record_fields', 'population', fields) }} as population,
        {{ json_get_parsed('parsed.record_fields', 'area', fields) }} as area_km2,
        {{ json_get_parsed('parsed.record_fields', 'latlng[0]', fields) }} as latitude,
        {{ json_get_parsed('parsed.record_fields', 'latlng[1]', fields) }} as longitude,
        {{ json_get_parsed('parsed.record_fields', 'capitalInfo.latlng[0]', fields) }}
            as capital_latitude,
        {{ json_get_parsed('parsed.record_fields', 'capitalInfo.latlng[1]', fields) }}
            as capital_longitude,
        {{ json_get_parsed('parsed.record_fields', 'idd.root', fields) }} as calling_code_root,
        {{ json_get_parsed('parsed.record_fields', 'startOfWeek', fields) }} as start_of_week,
        {{ json_get_parsed('parsed.record_fields', 'car.side', fields) }} as driving_side,
        {{ json_get_parsed('parsed.record_fields', 'flag', fields) }} as flag_emoji,
        {{ json_get_parsed('parsed.record_fields', 'flags.png', fields) }} as flag_png_url,
        {{ json_get_parsed('parsed.record_fields', 'flags.svg', fields) }} as flag_svg_url,
        {{ json_get_parsed('parsed.record_fields', 'flags.alt', fields) }} as flag_description,
        {{ json_get_parsed('parsed.record_fields', 'maps.googleMaps', fields) }} as google_maps_url,
        {{ json_get_parsed('parsed.record_fields', 'maps.openStreetMaps', fields) }}
            as openstreetmap_url,
        {{ json_get_parsed('parsed.record_fields', 'capital', fields) }} as capitals,
        {{ json_get_parsed('parsed.record_fields', 'idd.suffixes', fields) }}
            as calling_code_suffixes,
        {{ json_get_parsed('parsed.record_fields', 'car.signs', fields) }} as car_signs,
        {{ json_get_parsed('parsed.record_fields', 'altSpellings', fields) }} as alt_spellings,
        {{ json_get_parsed('parsed.record_fields', 'tld', fields) }} as tlds,
        {{ json_get_parsed('parsed.record_fields', 'timezones', fields) }} as timezones,
        {{ json_get_parsed('parsed.record_fields', 'continents', fields) }} as continents,
        {{ json_get_parsed('parsed.record_fields', 'borders', fields) }} as borders,
        {{ json_get_parsed('parsed.record_fields', 'currencies', fields) }} as currencies,
        {{ json_get_parsed('parsed.record_fields', 'languages', fields) }} as languages,
        {{ json_get_parsed('parsed.record_fields', 'name.nativeName', fields) }} as native_names,
        {{ json_get_parsed('parsed.record_fields', 'translations', fields) }} as translations,
        {{ json_get_parsed('parsed.record_fields', 'demonyms', fields) }} as demonyms,
        {{ json_get_parsed('parsed.record_fields', 'gini', fields) }} as gini,
        {{ json_rescued('parsed.record_fields', fields) }} as _rescued,
        parsed._file_name,
        parsed._file_row_number,
        {{ to_utc_timestamp('parsed._file_last_modified') }} as _file_last_modified,
        parsed._run_id,
        {{ to_utc_timestamp('parsed._loaded_at') }} as _loaded_at
    from parsed

),

final as (

    -- The payload has no updated_at: within it, the latest file and line win.
    {{ latest_version('typed', 'country_code') }}

)

select * from final
