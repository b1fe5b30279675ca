with

countries as (

    select * from {{ ref('raw_restcountries__countries') }}

),

final as (

    select
        countries.country_code,
        demonym.key as language_code,
        {{ json_get('demonym.value', 'f', 'varchar') }} as female_demonym,
        {{ json_get('demonym.value', 'm', 'varchar') }} as male_demonym
    from countries
    {{ flatten_object('countries.demonyms', 'demonym') }}
    where demonym.key is not null

)

select * from final
