with

countries as (

    select * from {{ ref('raw_restcountries__countries') }}

),

suffixed as (

    select
        countries.country_code,
        countries.calling_code_root,
        {{ json_get('suffix.value', none, 'varchar') }} as calling_code_suffix,
        suffix.index as suffix_index
    from countries
    {{ flatten_array('countries.calling_code_suffixes', 'suffix') }}
    where
        countries.calling_code_root is not null
        and suffix.value is not null

),

root_only as (

    -- A root without suffixes (+7) is a full code on its own.
    select
        country_code,
        calling_code_root,
        cast(null as varchar) as calling_code_suffix,
        0 as suffix_index
    from countries
    where
        calling_code_root is not null
        and calling_code_suffixes is null

),

final as (

    select
        country_code,
        calling_code_root || coalesce(calling_code_suffix, '') as calling_code,
        calling_code_root,
        calling_code_suffix,
        suffix_index = 0 as is_primary
    from suffixed
    union all
    select
        country_code,
        calling_code_root as calling_code,
        calling_code_root,
        calling_code_suffix,
        true as is_primary
    from root_only

)

select * from final
