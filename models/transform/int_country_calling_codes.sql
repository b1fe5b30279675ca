with

countries as (

    select * from {{ ref('raw_restcountries__countries') }}

),

suffixes as (

    -- Outer flatten: a root without suffixes (+7) is a full code on its own.
    select
        countries.country_code,
        countries.calling_code_root,
        {{ json_get('suffix.value', none, 'varchar') }} as calling_code_suffix,
        coalesce(suffix.index, 0) as suffix_index
    from countries
    {{ flatten_array('countries.calling_code_suffixes', 'suffix') }}
    where countries.calling_code_root is not null

),

final as (

    select
        country_code,
        calling_code_root || coalesce(calling_code_suffix, '') as calling_code,
        calling_code_root,
        calling_code_suffix,
        suffix_index = 0 as is_primary
    from suffixes

)

select * from final
