"""Build lake contents the way extract does, for tests of whatever reads the lake.

Data files are gzip'd NDJSON written with ``store.put`` at ``layout.data_key``; a
manifest written with ``write_manifest`` commits them. Files can be made bad on
purpose (malformed lines, a truncated gzip member, invalid UTF-8), left uncommitted
(orphans), or rewritten after commit. `make_config` builds a pipeline config whose
lake and warehouse live under a temporary directory.

Usage::

    lake = LakeBuilder(LocalStore(tmp_path / "lake"))
    lake.extract([order(1), order(2)], [order(3)])        # one commit, two files
    lake.orphan([order(9)], age=timedelta(hours=2))        # no manifest
"""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson

from glueflake.config import DuckDBWarehouse, Endpoint, Lake, PipelineConfig, Source
from glueflake.lake import (
    LocalStore,
    Manifest,
    ManifestFile,
    ObjectInfo,
    ObjectStore,
    data_key,
    new_run_id,
    sha256_hex,
    write_manifest,
)

Line = str | bytes | Mapping[str, Any]
INGEST_DATE = date(2026, 11, 27)


def order(i: int) -> dict[str, Any]:
    """An order-shaped record (nested ``items``), deterministic in `i`."""
    return {
        "id": i,
        "customer_id": 1 + i % 997,
        "status": ("placed", "paid", "shipped", "delivered")[i % 4],
        "currency": "EUR",
        "shipping_country": "FR",
        "items": [
            {"sku": f"SKU-{(i * 7 + k) % 100_000:05d}", "quantity": 1 + k, "unit_price": 9.99}
            for k in range(1 + i % 5)
        ],
        "created_at": "2026-11-20T14:03:00Z",
        "updated_at": "2026-11-23T09:00:00Z",
    }


def encode_line(line: Line) -> bytes:
    """One NDJSON line's bytes (a mapping is serialised; text is taken as is)."""
    if isinstance(line, bytes):
        return line
    if isinstance(line, str):
        return line.encode()
    return orjson.dumps(dict(line))


def ndjson_gz(lines: Sequence[Line]) -> bytes:
    """Gzip'd NDJSON: each line and a newline."""
    return gzip.compress(b"".join(encode_line(x) + b"\n" for x in lines), compresslevel=1)


class LakeBuilder:
    """Writes one entity's data files and manifests into a store."""

    def __init__(
        self,
        store: ObjectStore,
        source: str = "shop",
        entity: str = "orders",
        ingest_date: date = INGEST_DATE,
    ) -> None:
        self.store = store
        self.source = source
        self.entity = entity
        self.ingest_date = ingest_date
        self._seq = 0

    def write_file(
        self,
        lines: Sequence[Line],
        *,
        run_id: str,
        seq: int | None = None,
        records: int | None = None,
        truncate_to: int | None = None,
    ) -> ManifestFile:
        """Write one data file; return its manifest entry (not yet committed).

        Args:
            lines: the file's lines.
            run_id: the extract run id.
            seq: the file's sequence number (default: the next one).
            records: the count to put in the manifest (default: ``len(lines)``).
            truncate_to: keep only this many bytes of the gzip stream (a truncated
                member), as a crashed or broken writer would leave it.
        """
        if seq is None:
            self._seq += 1
            seq = self._seq
        data = ndjson_gz(lines)
        if truncate_to is not None:
            data = data[:truncate_to]
        key = data_key(self.source, self.entity, self.ingest_date, run_id, seq)
        info = self.store.put(key, data)
        return ManifestFile(
            key=key,
            records=len(lines) if records is None else records,
            bytes=len(data),
            sha256=sha256_hex(data),
            etag=info.etag,
        )

    def commit(self, files: Sequence[ManifestFile], *, run_id: str, seq: int = 0) -> Manifest:
        """Write the manifest that commits `files`."""
        manifest = Manifest(
            source=self.source,
            entity=self.entity,
            run_id=run_id,
            seq=seq,
            files=list(files),
            records=sum(f.records for f in files),
        )
        write_manifest(self.store, manifest)
        return manifest

    def extract(self, *files: Sequence[Line], run_id: str | None = None) -> Manifest:
        """Write each argument as one data file and commit them all in one manifest."""
        run_id = run_id or new_run_id()
        written = [self.write_file(lines, run_id=run_id) for lines in files]
        return self.commit(written, run_id=run_id)

    def orphan(
        self, lines: Sequence[Line], *, run_id: str | None = None, age: timedelta | None = None
    ) -> str:
        """Write a data file no manifest lists; optionally make it `age` old (local)."""
        entry = self.write_file(lines, run_id=run_id or new_run_id())
        if age is not None:
            self.age(entry.key, age)
        return entry.key

    def age(self, key: str, age: timedelta) -> None:
        """Set a local object's modification time `age` into the past."""
        path = self.store.local_path(key)
        assert path is not None, "ageing objects needs a local store"
        then = time.time() - age.total_seconds()
        os.utime(path, (then, then))

    def rewrite(self, key: str, lines: Sequence[Line]) -> ObjectInfo:
        """Replace a committed file's content in place (what must never happen)."""
        before = self.store.head(key)
        info = self.store.put(key, ndjson_gz(lines), overwrite=True)
        if before is not None and info.etag == before.etag:  # same size and mtime tick
            path = self.store.local_path(key)
            assert path is not None
            later = before.last_modified.timestamp() + 1
            os.utime(path, (later, later))
            info = self.store.head(key) or info
        return info


def make_config(
    base: Path,
    entities: Mapping[str, Mapping[str, str]] | None = None,
    *,
    lake_url: str | None = None,
    endpoint_url: str | None = None,
) -> PipelineConfig:
    """A pipeline config with its lake (``base/lake``) and warehouse under `base`.

    Args:
        base: the folder (usually ``tmp_path``).
        entities: ``{source: {entity: on_error}}``; default ``shop.orders`` (continue).
        lake_url: another lake (e.g. ``s3://bucket/prefix``).
        endpoint_url: the S3 endpoint for `lake_url`.
    """
    entities = entities or {"shop": {"orders": "continue"}}
    sources = {
        source: Source(
            base_url="demo",
            endpoints={
                name: Endpoint(path=f"/api/{name}", primary_key="id", on_error=mode)  # type: ignore[arg-type]
                for name, mode in eps.items()
            },
        )
        for source, eps in entities.items()
    }
    return PipelineConfig(
        lake=Lake(url=lake_url or str(base / "lake"), endpoint_url=endpoint_url),
        warehouse=DuckDBWarehouse(path=str(base / "wh" / "warehouse.duckdb")),
        sources=sources,
        base_dir=base,
    )


def lake_store(cfg: PipelineConfig) -> LocalStore:
    """The local store of a config made by `make_config`."""
    return LocalStore(cfg.resolve_path(cfg.lake.url))


def query(cfg: PipelineConfig, sql: str, params: Sequence[Any] | None = None) -> list[Any]:
    """Run a read-only query on the config's warehouse file."""
    path = cfg.resolve_path(cfg.warehouse.path)  # type: ignore[union-attr]
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def landing_count(cfg: PipelineConfig, source: str = "shop", entity: str = "orders") -> int:
    """``count(*)`` of a landing table (0 if it does not exist yet)."""
    try:
        return int(query(cfg, f'select count(*) from landing."{source}__{entity}"')[0][0])
    except duckdb.CatalogException:
        return 0


def ledger(cfg: PipelineConfig) -> dict[str, tuple[Any, ...]]:
    """Ledger rows by file key: (status, rows_parsed, rows_loaded, rows_rejected,
    first_error, first_error_line, etag)."""
    rows = query(
        cfg,
        "select file_key, status, rows_parsed, rows_loaded, rows_rejected, first_error, "
        "first_error_line, etag from _glueflake.load_history",
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def rejects(cfg: PipelineConfig) -> list[tuple[str, int, str, str]]:
    """Rejected records as (file key, line, raw text, reason), in file and line order."""
    return [
        tuple(r)
        for r in query(
            cfg,
            "select file_key, line, raw_text, reason from _glueflake.rejected_records "
            "order by file_key, line",
        )
    ]


def utc_now() -> datetime:
    """Now, aware."""
    return datetime.now(UTC)
