with

countries as (

    select * from {{ ref('raw_restcountries__countries') }}

),

flattened as (

    -- Outer flatten: a country with no languages keeps one row with nulls.
    select
        countries.country_code,
        countries.country_name,
        language.key as language_code,
        {{ json_get('language.value', none, 'varchar') }} as language_name
    from countries
    {{ flatten_object('countries.languages', 'language') }}

),

final as (

    select
        country_code,
        language_code,
        country_name,
        language_name
    from flattened

)

select * from final
