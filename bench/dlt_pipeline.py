"""The peer: dlt's ``rest_api_source`` into DuckDB, run in the bench venv only.

Standalone on purpose (it runs under ``.bench/venv/bin/python``, where glueflake is
not installed): ``python bench/dlt_pipeline.py --base-url URL --work DIR --out FILE``
with the API key in ``$BENCH_API_KEY``. Same endpoint, same query, same page size
and the same Link-header pagination as glueflake's extract; dlt's defaults
otherwise, as a user would run it. It counts what it loaded so the harness can check
both sides got the same records.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any


def run(base_url: str, work: Path, api_key: str, since: str, page_size: int) -> dict[str, Any]:
    """Run the pipeline once into a fresh DuckDB file; time it and count the rows."""
    import dlt
    from dlt.sources.rest_api import rest_api_source

    work.mkdir(parents=True, exist_ok=True)
    db = work / "dlt.duckdb"
    db.unlink(missing_ok=True)
    source = rest_api_source(
        {
            "client": {
                "base_url": base_url.rstrip("/") + "/",
                "auth": {
                    "type": "api_key",
                    "name": "X-API-Key",
                    "api_key": api_key,
                    "location": "header",
                },
                "paginator": {"type": "header_link"},
            },
            "resources": [
                {
                    "name": "orders",
                    "primary_key": "id",
                    "write_disposition": "append",
                    "endpoint": {
                        "path": "api/orders",
                        "params": {"per_page": page_size, "updated_since": since},
                        "data_selector": "data",
                    },
                }
            ],
        }
    )
    pipeline = dlt.pipeline(
        pipeline_name="bench_orders",
        destination=dlt.destinations.duckdb(str(db)),
        dataset_name="shop",
        pipelines_dir=str(work / "pipelines"),
    )
    started = time.perf_counter()
    info = pipeline.run(source)
    seconds = time.perf_counter() - started
    info.raise_on_failed_jobs()
    with pipeline.sql_client() as client:
        rows = client.execute_sql("select count(*) from orders")[0][0]
        items = client.execute_sql("select count(*) from orders__items")[0][0]
    return {
        "seconds": seconds,
        "rows": int(rows),
        "item_rows": int(items),
        "dlt_version": dlt.__version__,
    }


def _peak_rss_mb() -> float | None:
    """Peak RSS of this process (VmHWM), as the harness's own stages report it."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def main() -> int:
    """Parse arguments, run once, write the JSON result."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--since", default="2020-01-01T00:00:00Z")
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()
    api_key = os.environ.get("BENCH_API_KEY")
    if not api_key:
        raise SystemExit("BENCH_API_KEY is not set")
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    result = run(args.base_url, args.work, api_key, args.since, args.page_size)
    result["_peak_rss_mb"] = _peak_rss_mb()
    args.out.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
