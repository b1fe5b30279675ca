{#-
    Timestamps. Every business and load timestamp leaves raw/ as a UTC timestamp
    without time zone (DuckDB TIMESTAMP, Snowflake TIMESTAMP_NTZ), so the models,
    contracts and tests see one type on both warehouses.

    parse_timestamp(expr)    ISO-8601 text with an offset ('2026-11-23T09:00:00Z')
                             -> UTC timestamp; unparseable text becomes null.
    to_utc_timestamp(expr)   a TIMESTAMPTZ / TIMESTAMP_TZ -> UTC timestamp.
-#}
{% macro parse_timestamp(expr) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'glueflake')(expr)) }}
{%- endmacro %}

{% macro default__parse_timestamp(expr) -%}
    {{ exceptions.raise_compiler_error("parse_timestamp is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{% macro duckdb__parse_timestamp(expr) -%}
    {{ glueflake.duckdb__to_utc_timestamp('try_cast(' ~ expr ~ ' as timestamptz)') }}
{%- endmacro %}

{% macro snowflake__parse_timestamp(expr) -%}
    {#- try_cast(... as timestamp_tz) = try_to_timestamp_tz for ISO-8601 text; it also
        runs under fakesnow, which lacks the try_to_timestamp_tz function. -#}
    convert_timezone('UTC', try_cast({{ expr }} as timestamp_tz))::timestamp_ntz
{%- endmacro %}


{% macro to_utc_timestamp(expr) -%}
    {{ return(adapter.dispatch('to_utc_timestamp', 'glueflake')(expr)) }}
{%- endmacro %}

{% macro default__to_utc_timestamp(expr) -%}
    {{ exceptions.raise_compiler_error("to_utc_timestamp is not implemented for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- The instant's microseconds since the epoch as a plain timestamp: the same value as
    timezone('UTC', x) whatever the session's time zone, without ICU's per-row zone
    conversion (1/10 of its time). make_timestamp gives null for +-infinity, which the
    coalesce hands to timezone(); DuckDB evaluates that only for the rows still null. -#}
{% macro duckdb__to_utc_timestamp(expr) -%}
    coalesce(make_timestamp(epoch_us({{ expr }})), timezone('UTC', {{ expr }}))
{%- endmacro %}

{% macro snowflake__to_utc_timestamp(expr) -%}
    convert_timezone('UTC', {{ expr }})::timestamp_ntz
{%- endmacro %}


{#-
    loaded_after(expr, utc_timestamp): expr (a load time: TIMESTAMPTZ on DuckDB,
    TIMESTAMP_LTZ/TZ on Snowflake) is later than utc_timestamp (UTC, no zone, as
    raw/ stores it); true for every row when utc_timestamp is null. On DuckDB the
    column is compared as it is, so the scan skips older row groups by their min/max.
-#}
{% macro loaded_after(expr, utc_timestamp) -%}
    {{ return(adapter.dispatch('loaded_after', 'glueflake')(expr, utc_timestamp)) }}
{%- endmacro %}

{% macro default__loaded_after(expr, utc_timestamp) -%}
    {{ glueflake.to_utc_timestamp(expr) }}
    > coalesce({{ utc_timestamp }}, cast('1900-01-01 00:00:00' as timestamp))
{%- endmacro %}

{% macro duckdb__loaded_after(expr, utc_timestamp) -%}
    {{ expr }} > timezone('UTC', coalesce({{ utc_timestamp }}, timestamp '1900-01-01 00:00:00'))
{%- endmacro %}
