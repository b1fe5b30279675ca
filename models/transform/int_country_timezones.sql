with

countries as (

    select * from {{ ref('raw_restcountries__countries') }}

),

flattened as (

    select
        countries.country_code,
        {{ json_get('timezone.value', none, 'varchar') }} as timezone
    from countries
    {{ flatten_array('countries.timezones', 'timezone') }}
    where timezone.value is not null

),

final as (

    -- 'UTC', 'UTC+05:30', 'UTC-03:00', 'UTC+04' -> minutes east of UTC (null if
    -- not of that form).
    select
        country_code,
        timezone,
        case
            when timezone = 'UTC' then 0
            when substr(timezone, 4, 1) in ('+', '-')
                then
                    (case when substr(timezone, 4, 1) = '-' then -1 else 1 end)
                    * (
                        try_cast(substr(timezone, 5, 2) as integer) * 60
                        + case
                            when length(timezone) = 6 then 0
                            else try_cast(substr(timezone, 8, 2) as integer)
                        end
                    )
        end as utc_offset_minutes
    from flattened

)

select * from final
