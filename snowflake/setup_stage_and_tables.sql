-- glueflake: warehouse, database, landing schema, JSON file format, external stage and
-- one landing table per source entity (columns as in docs/contracts.md).
-- Rendered by `glueflake snowflake render` from the pipeline config; do not edit by hand.
-- Run as SYSADMIN after setup_storage_integration.sql.

use role sysadmin;

create warehouse if not exists GLUEFLAKE_WH
    warehouse_size = xsmall
    auto_suspend = 60
    auto_resume = true
    initially_suspended = true;

create database if not exists GLUEFLAKE;

create schema if not exists GLUEFLAKE.LANDING;

-- One JSON object per line, gzip'd (raw/<source>/<entity>/.../<run>-<seq>.ndjson.gz).
create file format if not exists GLUEFLAKE.LANDING.GLUEFLAKE_NDJSON
    type = json
    compression = gzip
    strip_outer_array = false;

-- The lake root: METADATA$FILENAME is then the lake key.
create stage if not exists GLUEFLAKE.LANDING.GLUEFLAKE_LAKE
    url = 's3://glueflake-lake-example/glueflake/'
    storage_integration = GLUEFLAKE_S3
    file_format = (format_name = 'GLUEFLAKE.LANDING.GLUEFLAKE_NDJSON');

-- GLUEFLAKE.LANDING.RESTCOUNTRIES__COUNTRIES
create table if not exists GLUEFLAKE.LANDING.RESTCOUNTRIES__COUNTRIES (
    record variant not null,
    _file_name varchar not null,
    _file_row_number number(38, 0) not null,
    _file_last_modified timestamp_tz,
    _run_id varchar,
    _loaded_at timestamp_tz not null
);

-- GLUEFLAKE.LANDING.SHOP__CUSTOMERS
create table if not exists GLUEFLAKE.LANDING.SHOP__CUSTOMERS (
    record variant not null,
    _file_name varchar not null,
    _file_row_number number(38, 0) not null,
    _file_last_modified timestamp_tz,
    _run_id varchar,
    _loaded_at timestamp_tz not null
);

-- GLUEFLAKE.LANDING.SHOP__ORDERS
create table if not exists GLUEFLAKE.LANDING.SHOP__ORDERS (
    record variant not null,
    _file_name varchar not null,
    _file_row_number number(38, 0) not null,
    _file_last_modified timestamp_tz,
    _run_id varchar,
    _loaded_at timestamp_tz not null
);
