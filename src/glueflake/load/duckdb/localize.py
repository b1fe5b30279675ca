"""Local files for DuckDB to read, each hashed as it is localized.

A lake object is read once on its way in: its SHA-256 is taken from the bytes as
they are downloaded (or from its local file), and the loader checks it against the
manifest before a row of it is inserted (the plan no longer reads every file first).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from glueflake.lake import ObjectStore
from glueflake.load.discover import file_sha256


@dataclass(frozen=True)
class LocalFile:
    """A lake object as a local file, with the SHA-256 of the bytes it holds."""

    path: Path
    sha256: str


@contextmanager
def local_files(store: ObjectStore, keys: Sequence[str]) -> Iterator[dict[str, LocalFile]]:
    """Yield a hashed local file per key, downloading objects that have no local file.

    Downloads go to a temporary directory, named by position (never by key), which
    is removed on exit.
    """
    files: dict[str, LocalFile] = {}
    tmp: tempfile.TemporaryDirectory[str] | None = None
    try:
        for key in keys:
            path = store.local_path(key)
            if path is not None and path.is_file():
                files[key] = LocalFile(path, file_sha256(path))
                continue
            if tmp is None:
                tmp = tempfile.TemporaryDirectory(prefix="glueflake-load-")
            dest = Path(tmp.name) / f"{len(files):06d}.ndjson.gz"
            data = store.get(key)
            dest.write_bytes(data)
            files[key] = LocalFile(dest, hashlib.sha256(data).hexdigest())
        yield files
    finally:
        if tmp is not None:
            tmp.cleanup()
