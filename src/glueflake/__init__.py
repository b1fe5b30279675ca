"""glueflake: batch ELT from REST APIs through an object-store lake into a warehouse.

DuckDB by default, Snowflake in production; modelled with dbt.
"""

__version__ = "0.1.0"
