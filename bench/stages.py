"""The measured stages, each run in a fresh subprocess: ``python -m bench.stages NAME``.

Each stage times only its own work (imports and interpreter start-up excluded, the
same for every side), writes its result as JSON to ``--out`` and exits; the parent
reads the process's peak RSS. glueflake is driven through its public functions only
(`run_extract`, `run_load`, `transform.build`), never its internals.
"""

from __future__ import annotations

import argparse
import glob
import importlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.procs import write_result

ORDERS = "shop.orders"
SETUP_ENTITIES = ["restcountries.countries", "shop.customers"]
ORDER_MODELS = "source:landing.shop__orders+"
"""dbt selection of the order models: the orders landing source, its tests, all downstream."""
PYTHON_MODELS = "tag:python"
"""The dbt Python models (downstream of the orders): their own stage, for their peak RSS."""


def _config(path: str) -> Any:
    from glueflake.config import load_config

    return load_config(path)


def _extract(config: Any, only: list[str]) -> dict[str, Any]:
    from glueflake.extract import run_extract

    started = time.perf_counter()
    summary = run_extract(config, only=only, progress=False)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "records": summary.records,
        "pages": summary.pages,
        "files": summary.files,
        "lake_bytes": summary.bytes,
        "dropped_at_bookmark": sum(r.dropped_at_bookmark for r in summary.results),
        "bookmark_before": [str(r.bookmark_before) for r in summary.results],
        "bookmark_after": [str(r.bookmark_after) for r in summary.results],
    }


def _load(config: Any, only: list[str]) -> dict[str, Any]:
    from glueflake.load import run_load

    started = time.perf_counter()
    summary = run_load(config, only=only, progress=False)
    seconds = time.perf_counter() - started
    if summary.aborted:
        raise SystemExit("load aborted")
    loaded = sum(e.rows_loaded for e in summary.entities)
    rejected = sum(e.rows_rejected for e in summary.entities)
    return {
        "seconds": seconds,
        "rows_loaded": loaded,
        "rows_rejected": rejected,
        "landing_rows": _landing_rows(config, only),
    }


def _landing_rows(config: Any, only: list[str]) -> dict[str, int]:
    """Rows now in each landing table (counted after the clock stopped)."""
    import duckdb

    path = config.resolve_path(config.warehouse.path)
    schema = config.warehouse.landing_schema
    with duckdb.connect(str(path), read_only=True) as con:
        out: dict[str, int] = {}
        for source, entity in config.select(only):
            row = con.execute(f'select count(*) from "{schema}"."{source}__{entity}"').fetchone()
            out[f"{source}.{entity}"] = int(row[0]) if row else 0
    return out


def _dbt(
    config: Any,
    select: str | Sequence[str] | None,
    exclude: str | Sequence[str] | None,
    work: Path,
) -> dict[str, Any]:
    # glueflake imports dbt only when dbt runs; importing it here keeps its 2-3 s out
    # of the clock, the rule every side follows (dlt is imported before its clock).
    for module in ("dbt.cli.main", "dbt.adapters.duckdb"):
        importlib.import_module(module)
    from glueflake.pipeline import dbt_settings
    from glueflake.transform import build

    settings = dbt_settings(config).model_copy(
        update={"target_path": work / "dbt-target", "log_path": work / "dbt-logs"}
    )
    started = time.perf_counter()
    summary = build(settings, select=select, exclude=exclude, progress=False)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "dbt_elapsed": summary.elapsed,
        "models": summary.models.passed,
        "tests": summary.tests.passed,
        "failed": [n.describe() for n in summary.failed_nodes],
        "rows": summary.rows,
    }


def _dbt_changed(config: Any, work: Path) -> dict[str, Any]:
    """The incremental day's dbt, as `glueflake run` builds it when only orders changed.

    A build of what changed: downstream of the orders' landing table, without dbt's
    unit tests (`UNIT_TESTS`: whole builds run them), and without the Python models,
    which end to end leaves out on every side.
    """
    from glueflake.transform.changes import UNIT_TESTS, selection

    select = selection([ORDERS.replace(".", "__")])
    return _dbt(config, select, [PYTHON_MODELS, UNIT_TESTS], work)


def _noop_run(config: Any) -> dict[str, Any]:
    """A `glueflake run` right after the first one: nothing new, so dbt must not run.

    The first run's dbt went through separate stages (`build` of the order models, then
    the Python models), so the record of a whole build that `run` keeps is written here,
    before the clock, from the landing tables as that build left them.
    """
    from glueflake.load import lake_status
    from glueflake.pipeline import dbt_settings, run_pipeline
    from glueflake.transform.changes import BuildState

    settings = dbt_settings(config)
    state = BuildState.of(lake_status(config), settings.target)
    if state is None:
        raise SystemExit("noop run: a landing table's row count is unknown")
    state.write(settings.resolved_target_path)
    started = time.perf_counter()
    result = run_pipeline(config, progress=False)
    seconds = time.perf_counter() - started
    if not result.ok or result.changed != []:
        raise SystemExit(f"noop run: expected no dbt build, got changed={result.changed}")
    return {
        "seconds": seconds,
        "stages": result.seconds,
        "records": result.extract.records,
        "rows_loaded": result.load.rows_loaded,
    }


# --- baselines ------------------------------------------------------------------------


def plain_sql(target: Path, db: Path) -> dict[str, Any]:
    """The order models dbt just built, as plain SQL in one DuckDB connection.

    Reads dbt's ``run_results.json`` and ``manifest.json`` under ``target`` (the `dbt`
    stage's), and runs each executed model's compiled SQL as ``create or replace table
    <relation> as ...`` in dependency order, then each executed data test's compiled
    query, on ``db``: a copy of the warehouse taken before that dbt stage. The DuckDB
    settings are the dev profile's (memory limit, threads, insertion order).
    """
    import json

    import duckdb

    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    executed = [
        r["unique_id"]
        for r in json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    ]
    nodes = manifest["nodes"]
    models = _dependency_order([u for u in executed if u.startswith("model.")], nodes)
    tests = [u for u in executed if u.startswith("test.")]
    statements = [
        (u, f"create or replace table {nodes[u]['relation_name']} as {_compiled(nodes[u], target)}")
        for u in models
    ]
    queries = [(u, f"select count(*) from ({_compiled(nodes[u], target)})") for u in tests]
    con = duckdb.connect(str(db))
    con.execute(f"set memory_limit = '{os.environ.get('GLUEFLAKE_DUCKDB_MEMORY_LIMIT', '192MB')}'")
    con.execute(f"set threads = {int(os.environ.get('GLUEFLAKE_DUCKDB_THREADS', '1'))}")
    con.execute("set preserve_insertion_order = false")
    started = time.perf_counter()
    for _, sql in statements:
        con.execute(sql)
    models_s = time.perf_counter() - started
    for _, sql in queries:
        con.execute(sql).fetchall()
    seconds = time.perf_counter() - started
    con.close()
    return {
        "seconds": seconds,
        "models_seconds": models_s,
        "models": len(statements),
        "tests": len(queries),
    }


def _dependency_order(selected: list[str], nodes: dict[str, Any]) -> list[str]:
    """``selected`` sorted so that every model comes after the selected models it reads."""
    chosen = set(selected)
    done: list[str] = []
    seen: set[str] = set()

    def visit(unique_id: str) -> None:
        if unique_id in seen:
            return
        seen.add(unique_id)
        for parent in nodes[unique_id]["depends_on"]["nodes"]:
            if parent in chosen:
                visit(parent)
        done.append(unique_id)

    for unique_id in selected:
        visit(unique_id)
    return done


def _compiled(node: dict[str, Any], target: Path) -> str:
    """A node's compiled SQL: the manifest's, else the file dbt wrote under ``target``."""
    code = node.get("compiled_code")
    if code:
        return str(code)
    path = target / "compiled" / str(node["package_name"]) / str(node["original_file_path"])
    if node["resource_type"] == "test":
        path = path / f"{node['name']}.sql"
    return path.read_text(encoding="utf-8")


def _links(client: Any, url: str) -> Iterator[int]:
    """Walk the pages in order, following ``Link: rel=next``; yield each body's size."""
    pages_max = 1_000_000  # bounded walk
    next_url: str | None = url
    for _ in range(pages_max):
        if next_url is None:
            return
        with client.stream("GET", next_url) as resp:
            size = 0
            for chunk in resp.iter_raw(1 << 16):
                size += len(chunk)
            resp.raise_for_status()
            yield size
            next_url = resp.links.get("next", {}).get("url")
    raise RuntimeError(f"more than {pages_max} pages: runaway pagination")


def _client(api_key: str, window: int = 1) -> Any:
    """An httpx client, made before the clock starts (its TLS set-up costs ~0.3 s)."""
    import httpx

    return httpx.Client(
        headers={"X-API-Key": api_key},
        timeout=120,
        limits=httpx.Limits(max_connections=window, max_keepalive_connections=window),
    )


def bare_fetch(url: str, api_key: str) -> dict[str, Any]:
    """Sequential fetch of every page, discarding bodies (nothing parsed or written)."""
    pages = body_bytes = 0
    with _client(api_key) as client:
        started = time.perf_counter()
        for size in _links(client, url):
            pages += 1
            body_bytes += size
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "pages": pages, "body_bytes": body_bytes}


def bare_fetch_parallel(url: str, api_key: str, window: int) -> dict[str, Any]:
    """The same pages with up to ``window`` requests in flight (page numbers predicted)."""
    import httpx

    client = _client(api_key, window)
    started = time.perf_counter()

    def get(target: httpx.URL) -> tuple[int, bool]:
        with client.stream("GET", target) as resp:
            size = sum(len(chunk) for chunk in resp.iter_raw(1 << 16))
            resp.raise_for_status()
            return size, "next" in resp.links

    first = httpx.URL(url)
    if "page" not in first.params:
        first = first.copy_merge_params({"page": "1"})
    pages = body_bytes = 0
    with client, ThreadPoolExecutor(window) as pool:
        inflight: list[Future[tuple[int, bool]]] = []
        page, more = 1, True
        for _ in range(1_000_000):  # bounded walk
            while more and len(inflight) < window:
                inflight.append(pool.submit(get, first.copy_set_param("page", str(page))))
                page += 1
            if not inflight:
                break
            size, has_next = inflight.pop(0).result()
            pages += 1
            body_bytes += size
            if not has_next:
                more = False
                for fut in inflight:  # fetched past the end: not part of the walk
                    fut.result()
                inflight.clear()
    return {"seconds": time.perf_counter() - started, "pages": pages, "body_bytes": body_bytes}


def bare_ctas(lake: Path, db: Path) -> dict[str, Any]:
    """``create table as select * from read_ndjson([...])`` over the same lake files."""
    import duckdb

    files = sorted(glob.glob(str(lake / "raw/shop/orders/**/*.ndjson.gz"), recursive=True))
    if not files:
        raise SystemExit(f"no order files under {lake}")
    db.unlink(missing_ok=True)
    started = time.perf_counter()
    con = duckdb.connect(str(db))
    con.execute("create table orders as select * from read_ndjson(?)", [files])
    rows = con.execute("select count(*) from orders").fetchone()
    con.close()
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": int(rows[0]) if rows else 0,
        "files": len(files),
        "lake_bytes": sum(os.path.getsize(f) for f in files),
    }


# --- entry ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run one stage and write its JSON result."""
    parser = argparse.ArgumentParser(prog="python -m bench.stages")
    parser.add_argument(
        "stage",
        choices=[
            "setup",
            "extract",
            "load",
            "dbt",
            "dbt_python",
            "dbt_changed",
            "incremental",
            "fetch",
            "fetch-parallel",
            "ctas",
            "sql",
            "noop",
        ],
    )
    parser.add_argument("--out", required=True)
    parser.add_argument("--config")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--url")
    parser.add_argument("--window", type=int, default=4)
    parser.add_argument("--lake", type=Path)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--target", type=Path)
    args = parser.parse_args(argv)
    api_key = os.environ.get("BENCH_API_KEY", "")
    stages: dict[str, Callable[[], dict[str, Any]]] = {
        "setup": lambda: _setup(args.config, args.work),
        "extract": lambda: _extract(_config(args.config), [ORDERS]),
        "load": lambda: _load(_config(args.config), [ORDERS]),
        # the SQL order models, then the Python models on their output in a process of
        # their own, so each side's peak RSS is its own
        "dbt": lambda: _dbt(_config(args.config), ORDER_MODELS, PYTHON_MODELS, args.work),
        "dbt_python": lambda: _dbt(_config(args.config), PYTHON_MODELS, None, args.work),
        "dbt_changed": lambda: _dbt_changed(_config(args.config), args.work),
        "incremental": lambda: _incremental(args.config),
        "fetch": lambda: bare_fetch(args.url, api_key),
        "fetch-parallel": lambda: bare_fetch_parallel(args.url, api_key, args.window),
        "ctas": lambda: bare_ctas(args.lake, args.db),
        "sql": lambda: plain_sql(args.target, args.db),
        "noop": lambda: _noop_run(_config(args.config)),
    }
    write_result(args.out, stages[args.stage]())
    return 0


def _setup(config_path: str, work: Path) -> dict[str, Any]:
    """Unmeasured: the reference data the order models join (countries, customers, dims)."""
    config = _config(config_path)
    extracted = _extract(config, SETUP_ENTITIES)
    loaded = _load(config, SETUP_ENTITIES)
    built = _dbt(config, None, ORDER_MODELS, work)
    return {"extract": extracted, "load": loaded, "dbt": built}


def _incremental(config_path: str) -> dict[str, Any]:
    """A second run after the day advanced: extract + load (its dbt is a separate stage)."""
    config = _config(config_path)
    extracted = _extract(config, [ORDERS])
    loaded = _load(config, [ORDERS])
    return {
        "seconds": extracted["seconds"] + loaded["seconds"],
        "extract": extracted,
        "load": loaded,
    }


if __name__ == "__main__":
    raise SystemExit(main())
