-- glueflake: the service users, least-privilege roles for the loader and for dbt, grants.
-- Rendered by `glueflake snowflake render` from the pipeline config; do not edit by hand.
-- Run by `glueflake snowflake apply` as the admin (the config's setup section) after
-- setup_stage_and_tables.sql; it runs top to bottom on an empty account:
--   USERADMIN creates the roles and the two SERVICE users (key-pair only, no password),
--   SECURITYADMIN (which holds MANAGE GRANTS) grants privileges and roles.
--
-- GLUEFLAKE_LOADER: runs `glueflake load` as GLUEFLAKE_LOADER_USER. Reads the stage,
--   inserts into the landing tables (DELETE only for `glueflake load --force`, which
--   replaces a file's rows); creates nothing.
-- GLUEFLAKE_TRANSFORMER: runs `dbt build --target prod` as GLUEFLAKE_DBT_USER. Reads the
--   landing tables and creates its own schemas (raw, transform, mart, snapshots, seeds).

use role useradmin;

create role if not exists GLUEFLAKE_LOADER;
create role if not exists GLUEFLAKE_TRANSFORMER;

-- Service users: no password, no interactive login; key-pair authentication only.
create user if not exists GLUEFLAKE_LOADER_USER
    type = service
    default_role = GLUEFLAKE_LOADER
    default_warehouse = GLUEFLAKE_WH;
create user if not exists GLUEFLAKE_DBT_USER
    type = service
    default_role = GLUEFLAKE_TRANSFORMER
    default_warehouse = GLUEFLAKE_WH;
-- No setup.loader_public_key_path in the config: set the key yourself, as USERADMIN:
--   alter user GLUEFLAKE_LOADER_USER set rsa_public_key = '<public key body>';
-- No setup.dbt_public_key_path in the config: set the key yourself, as USERADMIN:
--   alter user GLUEFLAKE_DBT_USER set rsa_public_key = '<public key body>';

use role securityadmin;

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
grant role GLUEFLAKE_TRANSFORMER to user GLUEFLAKE_DBT_USER;
