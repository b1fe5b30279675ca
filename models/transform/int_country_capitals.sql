with

countries as (

    select * from {{ ref('raw_restcountries__countries') }}

),

flattened as (

    select
        countries.country_code,
        {{ json_get('capital.value', none, 'varchar') }} as capital_name,
        capital.index as capital_index,
        countries.capital_latitude,
        countries.capital_longitude
    from countries
    {{ flatten_array('countries.capitals', 'capital') }}
    where capital.value is not null

),

final as (

    -- REST Countries gives coordinates for the first capital only.
    select
        country_code,
        capital_name,
        capital_index + 1 as capital_number,
        capital_index = 0 as is_primary,
        case when capital_index = 0 then capital_latitude end as latitude,
        case when capital_index = 0 then capital_longitude end as longitude
    from flattened

)

select * from final
