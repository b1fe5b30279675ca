"""Local files for DuckDB to read: the store's own files, or temporary downloads."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from glueflake.lake import ObjectStore


@contextmanager
def local_files(store: ObjectStore, keys: Sequence[str]) -> Iterator[dict[str, Path]]:
    """Yield a local path per key, downloading objects that have no local file.

    Downloads go to a temporary directory, named by position (never by key), which
    is removed on exit.
    """
    paths: dict[str, Path] = {}
    tmp: tempfile.TemporaryDirectory[str] | None = None
    try:
        for key in keys:
            path = store.local_path(key)
            if path is not None and path.is_file():
                paths[key] = path
                continue
            if tmp is None:
                tmp = tempfile.TemporaryDirectory(prefix="glueflake-load-")
            dest = Path(tmp.name) / f"{len(paths):06d}.ndjson.gz"
            dest.write_bytes(store.get(key))
            paths[key] = dest
        yield paths
    finally:
        if tmp is not None:
            tmp.cleanup()
