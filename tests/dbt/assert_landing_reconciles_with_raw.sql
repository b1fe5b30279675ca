-- Every live landing record is accounted for: landing rows = raw rows + duplicates
-- removed + rows without a key (the latter must be zero: the loader rejects a
-- record whose key is missing, null, empty, an object or an array, with file, line
-- and reason), and the raw models' _versions_seen add up to the keyed landing rows. The
-- live rows of a replace-all entity (countries) are its latest payload's.
-- Returns one row per landing table that does not reconcile.
{%- set sources = [
    ('restcountries__countries', 'raw_restcountries__countries', 'cca3', 'varchar', true),
    ('shop__customers', 'raw_shop__customers', 'id', 'bigint', false),
    ('shop__orders', 'raw_shop__orders', 'id', 'bigint', false),
] %}

with

{% for landing_table, raw_model, key_path, key_type, replace_all in sources %}
{{ landing_table }}_keys as (

    -- Read as raw reads it: an empty key is none.
    select nullif(cast({{ json_get('record', key_path, key_type) }} as varchar), '') as record_key
    from {{ source('landing', landing_table) }}
    {%- if replace_all %}
    where {{ in_latest_payload(source('landing', landing_table)) }}
    {%- endif %}

),

{{ landing_table }}_landing as (

    select
        count(*) as landing_rows,
        count(record_key) as keyed_rows,
        count(distinct record_key) as distinct_keys
    from {{ landing_table }}_keys

),

{{ landing_table }}_raw as (

    select
        count(*) as raw_rows,
        coalesce(sum(_versions_seen), 0) as versions_seen
    from {{ ref(raw_model) }}

),

{{ landing_table }}_reconciled as (

    select
        '{{ landing_table }}' as landing_table,
        landing_counts.landing_rows,
        raw_counts.raw_rows,
        landing_counts.keyed_rows - landing_counts.distinct_keys as duplicates_removed,
        landing_counts.landing_rows - landing_counts.keyed_rows as rows_without_key,
        raw_counts.versions_seen
    from {{ landing_table }}_landing as landing_counts
    cross join {{ landing_table }}_raw as raw_counts

),

{% endfor %}
final as (

    {% for landing_table, raw_model, key_path, key_type, replace_all in sources %}
    select * from {{ landing_table }}_reconciled
    {% if not loop.last %}
    union all
    {% endif %}
    {% endfor %}

)

select * from final
where
    landing_rows != raw_rows + duplicates_removed + rows_without_key
    or versions_seen != landing_rows - rows_without_key
    or rows_without_key != 0
