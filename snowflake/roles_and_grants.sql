-- glueflake: least-privilege roles for the loader and for dbt.
-- Rendered by `glueflake snowflake render` from the pipeline config; do not edit by hand.
-- Run as SECURITYADMIN after setup_stage_and_tables.sql.
--
-- GLUEFLAKE_LOADER: runs `glueflake load`. Reads the stage, inserts into the landing
--   tables (DELETE only for `glueflake load --force`, which replaces a file's rows);
--   creates nothing.
-- GLUEFLAKE_TRANSFORMER: runs `dbt build --target prod`. Reads the landing tables and
--   creates its own schemas (raw, transform, mart, snapshots, seeds) in the database.

use role securityadmin;

create role if not exists GLUEFLAKE_LOADER;
create role if not exists GLUEFLAKE_TRANSFORMER;

-- Custom roles roll up to SYSADMIN so administrators keep sight of their objects.
grant role GLUEFLAKE_LOADER to role sysadmin;
grant role GLUEFLAKE_TRANSFORMER to role sysadmin;

-- loader
grant usage on warehouse GLUEFLAKE_WH to role GLUEFLAKE_LOADER;
grant usage on database GLUEFLAKE to role GLUEFLAKE_LOADER;
grant usage on schema GLUEFLAKE.LANDING to role GLUEFLAKE_LOADER;
grant usage on stage GLUEFLAKE.LANDING.GLUEFLAKE_LAKE to role GLUEFLAKE_LOADER;
grant usage on file format GLUEFLAKE.LANDING.GLUEFLAKE_NDJSON to role GLUEFLAKE_LOADER;
grant select, insert, delete on table GLUEFLAKE.LANDING.RESTCOUNTRIES__COUNTRIES to role GLUEFLAKE_LOADER;
grant select, insert, delete on table GLUEFLAKE.LANDING.SHOP__CUSTOMERS to role GLUEFLAKE_LOADER;
grant select, insert, delete on table GLUEFLAKE.LANDING.SHOP__ORDERS to role GLUEFLAKE_LOADER;
grant role GLUEFLAKE_LOADER to user GLUEFLAKE_LOADER_USER;

-- dbt
grant usage on warehouse GLUEFLAKE_WH to role GLUEFLAKE_TRANSFORMER;
grant usage on database GLUEFLAKE to role GLUEFLAKE_TRANSFORMER;
grant create schema on database GLUEFLAKE to role GLUEFLAKE_TRANSFORMER;
grant usage on schema GLUEFLAKE.LANDING to role GLUEFLAKE_TRANSFORMER;
grant select on all tables in schema GLUEFLAKE.LANDING to role GLUEFLAKE_TRANSFORMER;
grant select on future tables in schema GLUEFLAKE.LANDING to role GLUEFLAKE_TRANSFORMER;
