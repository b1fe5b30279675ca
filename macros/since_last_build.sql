{#-
    Incremental filters: the rows an incremental model has not built from yet, i.e.
    those loaded after its high-water mark. Two, because the layers keep load times
    differently:

    landing_rows_since_last_build()
        For a raw model over its landing source. Landing keeps `_loaded_at` as the
        loader stamped it (TIMESTAMPTZ / TIMESTAMP_TZ); the mark is the greatest
        `_last_loaded_at` the model holds (the latest load that carried any of its
        keys, see latest_version), so each landing row is read, parsed and counted
        once. Loads commit in `_loaded_at` order (on DuckDB the loader holds the
        file while it writes; docs/contracts.md says what that asks of Snowflake).

    raw_rows_since_last_build()
        For a transform model over a raw model. raw/ keeps `_loaded_at` (the load of
        the kept version) as a UTC timestamp without zone, so plain SQL serves both
        warehouses; the mark is the greatest `_loaded_at` the model holds. Strictly
        later, since every row of the last build's batch is already in.

    Both take every row while the model is still empty (its first build brought
    nothing), so it fills up once data arrives.
-#}
{% macro landing_rows_since_last_build() -%}
    {{ loaded_after('_loaded_at', high_water_mark('_last_loaded_at')) }}
{%- endmacro %}

{% macro raw_rows_since_last_build() -%}
    _loaded_at > coalesce({{ high_water_mark('_loaded_at') }}, cast('1900-01-01 00:00:00' as timestamp))
{%- endmacro %}

{#- The greatest value of column in the model being built (null while it is empty). -#}
{% macro high_water_mark(column) -%}
    (select max(this_build.{{ column }}) from {{ this }} as this_build)
{%- endmacro %}
