{#-
    Filter of an incremental model on raw rows: those loaded strictly after the
    newest row the model already holds. Strictly later, since every row of the last
    build's batch is already in; every row while the model is still empty (its
    first build brought nothing), so it fills up once data arrives. raw/ keeps
    `_loaded_at` as a UTC timestamp without zone, so plain SQL serves both warehouses.
-#}
{% macro loaded_since_last_build(column='_loaded_at') -%}
    {{ column }} > (
        select coalesce(max(this_run.{{ column }}), cast('1900-01-01 00:00:00' as timestamp))
        from {{ this }} as this_run
    )
{%- endmacro %}
