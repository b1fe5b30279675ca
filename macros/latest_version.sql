{#-
    Deduplicate a raw model to the latest version of each key: records can arrive
    more than once (overlapping incremental windows, re-sent updates), so the raw
    layer keeps the greatest `updated_at` (when the record has one), then the latest
    load, file and line. `_versions_seen` counts the copies that arrived.
    Plain SQL (`qualify`) that DuckDB and Snowflake both run, so no dispatch.
-#}
{% macro latest_version(relation, key, updated_at=none) %}
    select
        *,
        count(*) over (partition by {{ key }}) as _versions_seen
    from {{ relation }}
    where {{ key }} is not null
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
