with

countries as (

    select * from {{ ref('raw_restcountries__countries') }}

),

final as (

    select
        countries.country_code,
        {{ json_get('tld.value', none, 'varchar') }} as top_level_domain,
        tld.index = 0 as is_primary
    from countries
    {{ flatten_array('countries.tlds', 'tld') }}
    where tld.value is not null

)

select * from final
