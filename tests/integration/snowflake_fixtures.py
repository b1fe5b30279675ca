"""Offline Snowflake fixtures: a small committed lake, a Snowflake config, fakesnow gaps.

fakesnow (0.11, the line that runs on duckdb 1.5) executes Snowflake SQL on DuckDB.
Where it lacks a feature the rendered scripts use, the statement is listed in
`FAKESNOW_GAPS` with the reason; the offline apply runs such a statement *expecting*
fakesnow to refuse it (so a gap that closes shows up as a failure to update this list)
and asserts on everything else.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from glueflake.config import PipelineConfig, load_config
from glueflake.lake import LocalStore, Manifest, ManifestFile, data_key, sha256_hex
from glueflake.lake.manifest import write_manifest

# (statement start, regex) -> the fakesnow gap that makes it unrunnable offline.
FAKESNOW_GAPS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), reason)
    for pattern, reason in (
        (r"^create storage integration\b", "fakesnow 0.11 has no STORAGE INTEGRATION objects"),
        (r"^desc(ribe)? integration\b", "fakesnow 0.11 cannot DESCRIBE an INTEGRATION"),
        (r"^create warehouse\b", "fakesnow 0.11 has no CREATE WAREHOUSE"),
        (r"^create role\b", "fakesnow 0.11 has no roles (CREATE ROLE)"),
        (r"^create user\b", "fakesnow 0.11 has no users (CREATE USER)"),
        (r"^alter user\b", "fakesnow 0.11 has no users (ALTER USER)"),
        (r"^grant\b", "fakesnow 0.11 has no access control (GRANT)"),
        (r"^create pipe\b", "fakesnow 0.11 has no PIPE objects (Snowpipe)"),
        (r"^show pipes\b", "fakesnow 0.11 has no SHOW PIPES"),
    )
)

ENTITIES = (("restcountries", "countries"), ("shop", "customers"), ("shop", "orders"))


def fakesnow_gap(first_line: str) -> str | None:
    """The recorded fakesnow gap that covers this statement, if any."""
    for pattern, reason in FAKESNOW_GAPS:
        if pattern.search(first_line.strip()):
            return reason
    return None


def snowflake_config(
    tmp_path: Path,
    *,
    lake_url: str = "s3://glueflake-test-lake/lake",
    on_error: Mapping[str, str] | None = None,
    mode: str = "copy",
    extra: Mapping[str, Any] | None = None,
) -> PipelineConfig:
    """A Snowflake pipeline config (demo sources) written to tmp_path and loaded."""
    on_error = on_error or {}

    def endpoint(path: str, key: str, name: str) -> dict[str, Any]:
        ep: dict[str, Any] = {"path": path, "primary_key": key}
        if name in on_error:
            ep["on_error"] = on_error[name]
        return ep

    raw: dict[str, Any] = {
        "version": 1,
        "lake": {"url": lake_url},
        "warehouse": {
            "type": "snowflake",
            "account": "offline",
            "user": "GLUEFLAKE_LOADER_USER",
            "password": "${GLUEFLAKE_TEST_SNOWFLAKE_PASSWORD}",
            "aws_role_arn": "arn:aws:iam::123456789012:role/glueflake-test",
            "mode": mode,
        },
        "sources": {
            "restcountries": {
                "base_url": "demo",
                "endpoints": {"countries": endpoint("/v3.1/all", "cca3", "countries")},
            },
            "shop": {
                "base_url": "demo",
                "endpoints": {
                    "customers": endpoint("/api/customers", "id", "customers"),
                    "orders": endpoint("/api/orders", "id", "orders"),
                },
            },
        },
    }
    for dotted, value in (extra or {}).items():
        node = raw
        *parents, leaf = dotted.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    path = tmp_path / "pipeline.snowflake.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return load_config(path, environ={"GLUEFLAKE_TEST_SNOWFLAKE_PASSWORD": "not-a-real-one"})


@dataclass(frozen=True)
class Commit:
    """One committed manifest of one entity: its files' records."""

    source: str
    entity: str
    run_id: str
    files: tuple[tuple[dict[str, Any], ...], ...]


def write_commit(
    store: LocalStore, commit: Commit, *, ingest: date = date(2026, 11, 28), seq: int = 1
) -> Manifest:
    """Write the commit's gzip NDJSON files, then its manifest (the commit point)."""
    listed = []
    for n, records in enumerate(commit.files):
        key = data_key(commit.source, commit.entity, ingest, commit.run_id, seq + n)
        body = gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in records))
        info = store.put(key, body)
        listed.append(
            ManifestFile(
                key=key,
                records=len(records),
                bytes=len(body),
                sha256=sha256_hex(body),
                etag=info.etag,
            )
        )
    manifest = Manifest(
        source=commit.source,
        entity=commit.entity,
        run_id=commit.run_id,
        seq=seq,
        committed_at=datetime.now(UTC),
        files=listed,
        records=sum(f.records for f in listed),
    )
    write_manifest(store, manifest)
    return manifest


def write_orphan(
    store: LocalStore, source: str, entity: str, records: Iterable[dict[str, Any]]
) -> str:
    """A data file with no manifest: the loader must never load it."""
    key = data_key(source, entity, date(2026, 11, 28), "20261128T230000Z-0rphan", 1)
    store.put(key, gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in records)))
    return key


def small_lake(root: Path) -> tuple[LocalStore, dict[tuple[str, str], int]]:
    """A lake with the demo's three entities (two commits of orders) and one orphan.

    Returns:
        The store and the committed record count per (source, entity).
    """
    store = LocalStore(root)
    countries = (
        {
            "cca2": "FR",
            "cca3": "FRA",
            "name": {"common": "France"},
            "capital": ["Paris"],
            "currencies": {"EUR": {"name": "Euro", "symbol": "€"}},
            "continents": ["Europe"],
        },
        {
            "cca2": "AQ",
            "cca3": "ATA",
            "name": {"common": "Antarctica"},
            "continents": ["Antarctica"],
        },
    )
    customers = tuple(
        {
            "id": i,
            "email": f"c{i}@example.com",
            "tier": "gold",
            "country_code": "FR",
            "note": 'quotes " and commas, and a tab\tescaped',
            "updated_at": "2026-11-27T08:00:00Z",
        }
        for i in range(1, 6)
    )
    orders_1 = tuple(
        {
            "id": i,
            "customer_id": 1 + i % 5,
            "status": "paid",
            "currency": "EUR",
            "items": [{"sku": f"SKU-{i:05d}", "quantity": 1, "unit_price": 9.5}],
            "updated_at": "2026-11-27T09:00:00Z",
        }
        for i in range(1, 8)
    )
    orders_2 = tuple({**o, "status": "shipped"} for o in orders_1[:3])
    write_commit(
        store, Commit("restcountries", "countries", "20261128T100000Z-aaaaaa", (countries,))
    )
    write_commit(
        store,
        Commit("shop", "customers", "20261128T100000Z-bbbbbb", (customers[:3], customers[3:])),
    )
    write_commit(store, Commit("shop", "orders", "20261128T100000Z-cccccc", (orders_1,)))
    write_commit(store, Commit("shop", "orders", "20261128T110000Z-dddddd", (orders_2,)), seq=1)
    write_orphan(store, "shop", "orders", orders_1[:2])
    counts = {
        ("restcountries", "countries"): len(countries),
        ("shop", "customers"): len(customers),
        ("shop", "orders"): len(orders_1) + len(orders_2),
    }
    return store, counts


class ScriptedCursor:
    """A Snowflake cursor whose answers a test scripts: subclasses implement `answer`.

    Every statement is kept in `sql`; `answer` sets `description` and `rows`.
    """

    def __init__(self) -> None:
        self.sql: list[str] = []
        self.description: list[tuple[str]] = []
        self.rows: list[tuple[Any, ...]] = []

    def execute(self, sql: str) -> None:
        self.sql.append(sql)
        self.answer(sql)

    def answer(self, sql: str) -> None:
        raise NotImplementedError

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


class ScriptedConn:
    """A connection that hands out one scripted cursor."""

    def __init__(self, cursor: ScriptedCursor) -> None:
        self._cursor = cursor

    def cursor(self) -> ScriptedCursor:
        return self._cursor


#: dbt nodes fakesnow 0.11 cannot build (tests/integration/test_snowflake_dbt.py says
#: why): unit tests (TEMPORARY tables), two relationship tests (OUTER flatten) and the
#: Snowpark Python models with what depends on them (fakesnow runs no Python).
OUTER_FLATTEN_TESTS = (
    "relationships_int_countries_country_code__country_code__ref_int_country_currencies_",
    "relationships_int_countries_country_code__country_code__ref_int_country_languages_",
)
PYTHON_MODELS = ("customer_segments", "daily_sales_anomalies")
"""Snowpark models: fakesnow cannot run them (test_snowflake_dbt.py's docstring says why)."""
FAKESNOW_EXCLUDE = " ".join(
    ("test_type:unit", *OUTER_FLATTEN_TESTS, *(f"{name}+" for name in PYTHON_MODELS))
)
