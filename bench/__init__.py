"""glueflake's benchmarks: `make bench` (``python -m bench``).

Measured against bare baselines (an httpx fetch that discards bodies, a DuckDB
``read_ndjson`` CTAS) and against dlt's ``rest_api_source``, which lives in its own
environment (``.bench/venv``, from ``requirements-bench.txt``) and is never a
glueflake dependency. Benchmarks, not timed tests: nothing here asserts a speed.
"""
