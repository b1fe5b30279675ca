"""Deployment: the SQL and cloud set-up a production pipeline needs (Snowflake, AWS)."""
