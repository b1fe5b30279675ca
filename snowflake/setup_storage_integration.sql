-- glueflake: storage integration for the lake bucket.
-- Rendered by `glueflake snowflake render` from the pipeline config; do not edit by hand.
-- Run as ACCOUNTADMIN (or a role with CREATE INTEGRATION). Then read the DESC output:
--   STORAGE_AWS_IAM_USER_ARN  -> the Principal.AWS of the IAM role's trust policy
--   STORAGE_AWS_EXTERNAL_ID   -> the sts:ExternalId condition of that trust policy
-- (deploy-aws --snowflake-iam-user-arn/--snowflake-external-id: docs/runbook.md, step 7.)

use role accountadmin;

create storage integration if not exists GLUEFLAKE_S3
    type = external_stage
    storage_provider = 'S3'
    enabled = true
    storage_aws_role_arn = 'arn:aws:iam::123456789012:role/glueflake-snowflake-lake-read'
    storage_allowed_locations = ('s3://glueflake-lake-example/glueflake/');

-- SYSADMIN owns the stage that uses the integration.
grant usage on integration GLUEFLAKE_S3 to role sysadmin;

desc integration GLUEFLAKE_S3;
