{#-
    Deduplicate a raw model to the latest version of each key: records can arrive
    more than once (overlapping incremental windows, re-sent updates), so the raw
    layer keeps the greatest `updated_at` (when the record has one), then the latest
    load, file and line. Two columns are added to the kept row:

        _versions_seen    how many landing rows carried the key (all versions)
        _last_loaded_at   the latest load that carried the key (any version); its
                          maximum over the model is the incremental high-water mark

    Renders the select of a raw model's `final` CTE over `relation` (the typed
    landing rows). In an incremental build (is_incremental()), `relation` holds only
    the rows landed since the last build (filter the source with
    landing_rows_since_last_build) and each of their keys' current row is read back from
    the model itself, with its counts, so the new copies are ranked against it by
    the same ordering: the result is exactly what a full rebuild gives, and a late
    copy of an older version never replaces a newer row. Merge it on `key`.

    Plain SQL (`qualify`, `* exclude`) that DuckDB and Snowflake both run, so no dispatch.
-#}
{% macro latest_version(relation, key, updated_at=none) %}
    with

    landed as (

        select
            *,
            cast(1 as bigint) as _copies,
            _loaded_at as _copies_loaded_at
        from {{ relation }}
        where {{ key }} is not null

    ),

    {% if is_incremental() %}
    current_rows as (

        select
            * exclude (_versions_seen, _last_loaded_at),
            _versions_seen as _copies,
            _last_loaded_at as _copies_loaded_at
        from {{ this }}
        where {{ key }} in (select landed.{{ key }} from landed)

    ),
    {% endif %}

    candidates as (

        select * from landed
        {% if is_incremental() %}
            union all
            select * from current_rows
        {% endif %}

    )

    select
        * exclude (_copies, _copies_loaded_at),
        cast(sum(_copies) over (partition by {{ key }}) as bigint) as _versions_seen,
        max(_copies_loaded_at) over (partition by {{ key }}) as _last_loaded_at
    from candidates
    qualify row_number() over (
        partition by {{ key }}
        order by
            {% if updated_at is not none -%}
                {{ updated_at }} desc nulls last,
            {% endif -%}
            _loaded_at desc,
            _file_name desc,
            _file_row_number desc
    ) = 1
{% endmacro %}



{#-
    The condition that keeps only the latest committed payload of a replace-all
    entity (write_disposition: replace, e.g. the countries list): every extract run
    lands the whole list, so the rows of the latest run are the live ones and the
    older runs are history. Run ids sort by the time the run started
    (glueflake.lake.new_run_id), so the greatest is the latest; only `_run_id` is
    scanned to find it, and no older record is read or parsed.
-#}
{% macro in_latest_payload(relation) -%}
    _run_id = (select max(payloads._run_id) from {{ relation }} as payloads)
{%- endmacro %}
