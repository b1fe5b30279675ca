-- A country's name in other languages and in its own, one row per country,
-- language and kind (native or translation): what a multilingual app looks up.
with

country_names as (

    select * from {{ ref('int_country_names') }}

),

countries as (

    select * from {{ ref('int_countries') }}

),

final as (

    select
        country_names.country_code,
        countries.country_code_2,
        country_names.language_code,
        country_names.name_kind,
        country_names.common_name,
        country_names.official_name,
        countries.country_name as english_name
    from country_names
    inner join countries
        on country_names.country_code = countries.country_code

)

select * from final
