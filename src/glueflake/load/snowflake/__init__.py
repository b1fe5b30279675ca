"""The Snowflake warehouse: COPY / Snowpipe loader, load history, connection, SQL."""

from glueflake.load.snowflake.backend import SnowflakeBackend
from glueflake.load.snowflake.loader import CopyStrategy, JsonCopy

__all__ = ["CopyStrategy", "JsonCopy", "SnowflakeBackend"]
