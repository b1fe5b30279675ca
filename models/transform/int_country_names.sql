with

countries as (

    select * from {{ ref('raw_restcountries__countries') }}

),

native_names as (

    select
        countries.country_code,
        native_name.key as language_code,
        'native' as name_kind,
        {{ json_get('native_name.value', 'common', 'varchar') }} as common_name,
        {{ json_get('native_name.value', 'official', 'varchar') }} as official_name
    from countries
    {{ flatten_object('countries.native_names', 'native_name') }}
    where native_name.key is not null

),

translations as (

    select
        countries.country_code,
        translation.key as language_code,
        'translation' as name_kind,
        {{ json_get('translation.value', 'common', 'varchar') }} as common_name,
        {{ json_get('translation.value', 'official', 'varchar') }} as official_name
    from countries
    {{ flatten_object('countries.translations', 'translation') }}
    where translation.key is not null

),

final as (

    select * from native_names
    union all
    select * from translations

)

select * from final
