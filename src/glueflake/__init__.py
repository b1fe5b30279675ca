"""glueflake: batch ELT from REST APIs through an object-store lake into DuckDB or Snowflake, modelled with dbt."""

__version__ = "0.1.0"
