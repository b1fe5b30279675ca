-- glueflake: one Snowpipe per entity (AUTO_INGEST), each running the same COPY INTO as
-- `glueflake load` in mode copy, restricted by PATTERN to that entity's data files.
-- Rendered by `glueflake snowflake render` from the pipeline config; do not edit by hand.
-- Run as SYSADMIN after roles_and_grants.sql, and only with `warehouse.mode: snowpipe`:
-- pipes and bulk COPY keep separate load metadata, so using both loads files twice.
--
-- Then point the bucket's event notification at the pipes' queue:
--   SHOW PIPES below -> column notification_channel (an SQS queue ARN, one per account
--   and region, shared by every pipe) -> S3 bucket -> Properties -> Event notifications
--   -> "All object create events", prefix '<lake prefix>/raw/', suffix '.ndjson.gz',
--   destination SQS queue = that ARN. (docs/runbook.md, step 10: deploy-aws --snowpipe-queue-arn.)
-- ON_ERROR comes from each entity's `on_error`. CREATE PIPE refuses ABORT_STATEMENT:
-- `glueflake snowflake render` refuses `on_error: abort` with mode snowpipe, and in mode
-- copy (where this script is not applied) renders SKIP_FILE for it, saying so below.
-- A pipe loads file by file, so SKIP_FILE keeps exactly the file with the error out.

use role sysadmin;

-- GLUEFLAKE.LANDING.RESTCOUNTRIES__COUNTRIES: on_error CONTINUE
create pipe if not exists GLUEFLAKE.LANDING.RESTCOUNTRIES__COUNTRIES_PIPE
    auto_ingest = true
    as
copy into GLUEFLAKE.LANDING.RESTCOUNTRIES__COUNTRIES (record, _file_name, _file_row_number, _file_last_modified, _run_id, _loaded_at)
    from (
        select
            $1,
            metadata$filename,
            metadata$file_row_number,
            -- METADATA$FILE_LAST_MODIFIED is UTC wall time (TIMESTAMP_NTZ): pin the offset.
            to_timestamp_tz(metadata$file_last_modified::varchar || ' +0000'),
            -- <run_id>-<seq>.ndjson.gz: the run id is the file name before the sequence.
            regexp_substr(metadata$filename, '([^/]+)-[0-9]+[.]ndjson[.]gz$', 1, 1, 'e', 1),
            metadata$start_scan_time
        from @GLUEFLAKE.LANDING.GLUEFLAKE_LAKE/raw/restcountries/countries/
    )
    pattern = '.*raw/restcountries/countries/ingest_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/[^/]+[.]ndjson[.]gz'
    file_format = (format_name = 'GLUEFLAKE.LANDING.GLUEFLAKE_NDJSON')
    on_error = CONTINUE;

-- The loader polls COPY_HISTORY and SYSTEM$PIPE_STATUS (mode snowpipe).
grant monitor on pipe GLUEFLAKE.LANDING.RESTCOUNTRIES__COUNTRIES_PIPE to role GLUEFLAKE_LOADER;

-- GLUEFLAKE.LANDING.SHOP__CUSTOMERS: on_error SKIP_FILE
create pipe if not exists GLUEFLAKE.LANDING.SHOP__CUSTOMERS_PIPE
    auto_ingest = true
    as
copy into GLUEFLAKE.LANDING.SHOP__CUSTOMERS (record, _file_name, _file_row_number, _file_last_modified, _run_id, _loaded_at)
    from (
        select
            $1,
            metadata$filename,
            metadata$file_row_number,
            -- METADATA$FILE_LAST_MODIFIED is UTC wall time (TIMESTAMP_NTZ): pin the offset.
            to_timestamp_tz(metadata$file_last_modified::varchar || ' +0000'),
            -- <run_id>-<seq>.ndjson.gz: the run id is the file name before the sequence.
            regexp_substr(metadata$filename, '([^/]+)-[0-9]+[.]ndjson[.]gz$', 1, 1, 'e', 1),
            metadata$start_scan_time
        from @GLUEFLAKE.LANDING.GLUEFLAKE_LAKE/raw/shop/customers/
    )
    pattern = '.*raw/shop/customers/ingest_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/[^/]+[.]ndjson[.]gz'
    file_format = (format_name = 'GLUEFLAKE.LANDING.GLUEFLAKE_NDJSON')
    on_error = SKIP_FILE;

-- The loader polls COPY_HISTORY and SYSTEM$PIPE_STATUS (mode snowpipe).
grant monitor on pipe GLUEFLAKE.LANDING.SHOP__CUSTOMERS_PIPE to role GLUEFLAKE_LOADER;

-- GLUEFLAKE.LANDING.SHOP__ORDERS: on_error CONTINUE
create pipe if not exists GLUEFLAKE.LANDING.SHOP__ORDERS_PIPE
    auto_ingest = true
    as
copy into GLUEFLAKE.LANDING.SHOP__ORDERS (record, _file_name, _file_row_number, _file_last_modified, _run_id, _loaded_at)
    from (
        select
            $1,
            metadata$filename,
            metadata$file_row_number,
            -- METADATA$FILE_LAST_MODIFIED is UTC wall time (TIMESTAMP_NTZ): pin the offset.
            to_timestamp_tz(metadata$file_last_modified::varchar || ' +0000'),
            -- <run_id>-<seq>.ndjson.gz: the run id is the file name before the sequence.
            regexp_substr(metadata$filename, '([^/]+)-[0-9]+[.]ndjson[.]gz$', 1, 1, 'e', 1),
            metadata$start_scan_time
        from @GLUEFLAKE.LANDING.GLUEFLAKE_LAKE/raw/shop/orders/
    )
    pattern = '.*raw/shop/orders/ingest_date=[0-9]{4}-[0-9]{2}-[0-9]{2}/[^/]+[.]ndjson[.]gz'
    file_format = (format_name = 'GLUEFLAKE.LANDING.GLUEFLAKE_NDJSON')
    on_error = CONTINUE;

-- The loader polls COPY_HISTORY and SYSTEM$PIPE_STATUS (mode snowpipe).
grant monitor on pipe GLUEFLAKE.LANDING.SHOP__ORDERS_PIPE to role GLUEFLAKE_LOADER;

show pipes in schema GLUEFLAKE.LANDING;
