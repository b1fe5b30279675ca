with

countries as (

    select * from {{ ref('raw_restcountries__countries') }}

),

flattened as (

    -- gini is an object year -> index ({"2018": 32.4}).
    select
        countries.country_code,
        gini.key as gini_year_text,
        {{ json_get('gini.value', none, 'double') }} as gini_index
    from countries
    {{ flatten_object('countries.gini', 'gini') }}
    where gini.key is not null

),

final as (

    select
        country_code,
        try_cast(gini_year_text as integer) as gini_year,
        gini_index
    from flattened

)

select * from final
