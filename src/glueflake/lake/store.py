"""The object-store interface the lake is written through, and its two backends.

Keys are '/'-separated and relative to the lake root. Data objects are written once
(`put` refuses an existing key); only state objects are written with `overwrite`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from glueflake.errors import LakeError

if TYPE_CHECKING:
    from glueflake.config import PipelineConfig


class ObjectExistsError(Exception):
    """A write-once put found the key already taken."""


@dataclass(frozen=True)
class ObjectInfo:
    """What the store knows of one object.

    Attributes:
        key: key relative to the lake root.
        size: bytes.
        etag: changes whenever the object's content is replaced.
        last_modified: when it was written (UTC).
    """

    key: str
    size: int
    etag: str
    last_modified: datetime


class ObjectStore(Protocol):
    """What the lake needs of an object store."""

    url: str

    def put(self, key: str, data: bytes, *, overwrite: bool = False) -> ObjectInfo:
        """Write an object; without `overwrite`, an existing key raises ObjectExistsError."""
        ...

    def get(self, key: str) -> bytes:
        """Read a whole object; a missing key raises FileNotFoundError."""
        ...

    def head(self, key: str) -> ObjectInfo | None:
        """The object's info, or None where there is no such key."""
        ...

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Every object whose key starts with `prefix`, in key order."""
        ...

    def local_path(self, key: str) -> Path | None:
        """A local file holding the object, where the store has one (else None)."""
        ...

    def delete(self, key: str) -> None:
        """Remove an object (state objects only: leases); a missing key is no error."""
        ...


class LocalStore:
    """A directory as an object store; writes are atomic and write-once by default."""

    def __init__(self, root: Path) -> None:
        """Use `root` (created if missing) as the lake root."""
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.url = str(self.root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"key {key!r} leaves the lake root")
        return path

    def put(self, key: str, data: bytes, *, overwrite: bool = False) -> ObjectInfo:
        """Write to a temporary file, fsync, then link (write-once) or rename it in place."""
        path = self._path(key)
        tmp = ""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            if overwrite:
                os.replace(tmp, path)
            else:
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    raise ObjectExistsError(f"{self.url}/{key} already exists") from None
        except ObjectExistsError:
            raise
        except OSError as exc:
            # Disk full, read-only, no permission: one line naming the object.
            raise LakeError(
                f"cannot write {self.url}/{key}: {exc.strerror or exc} (nothing of it is "
                "committed; free the space or fix the folder, then run again)"
            ) from None
        finally:
            if tmp and os.path.exists(tmp):
                os.unlink(tmp)
        return self._info(key, path)

    def get(self, key: str) -> bytes:
        """Read a whole object."""
        return self._path(key).read_bytes()

    def head(self, key: str) -> ObjectInfo | None:
        """Info of one object, or None."""
        path = self._path(key)
        return self._info(key, path) if path.is_file() else None

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Objects under `prefix`, in key order (temporary files left out)."""
        base = self._path(prefix.rsplit("/", 1)[0]) if "/" in prefix else self.root
        if not base.is_dir():
            return
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in sorted(filenames):
                if name.startswith(".tmp-"):
                    continue
                path = Path(dirpath, name)
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    yield self._info(key, path)

    def local_path(self, key: str) -> Path | None:
        """The file itself."""
        return self._path(key)

    def delete(self, key: str) -> None:
        """Unlink the file (a missing one is fine)."""
        self._path(key).unlink(missing_ok=True)

    @staticmethod
    def _info(key: str, path: Path) -> ObjectInfo:
        st = path.stat()
        # Like a web server's etag: a rewrite changes mtime or size, reading is free.
        return ObjectInfo(
            key=key,
            size=st.st_size,
            etag=f"{st.st_mtime_ns:x}-{st.st_size:x}",
            last_modified=datetime.fromtimestamp(st.st_mtime, UTC),
        )


class S3Store:
    """An S3 bucket and prefix; write-once through conditional puts (If-None-Match)."""

    def __init__(
        self,
        url: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        client: Any = None,
    ) -> None:
        """Use ``s3://bucket/prefix`` as the lake root."""
        import boto3

        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise ValueError(f"lake url {url!r} names no bucket")
        self.url = url.rstrip("/")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

    def put(self, key: str, data: bytes, *, overwrite: bool = False) -> ObjectInfo:
        """PUT the object; without `overwrite`, conditionally (412 -> ObjectExistsError)."""
        from botocore.exceptions import ClientError

        extra = {} if overwrite else {"IfNoneMatch": "*"}
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data, **extra)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                raise ObjectExistsError(f"{self.url}/{key} already exists") from None
            raise
        info = self.head(key)
        assert info is not None
        return info

    def get(self, key: str) -> bytes:
        """GET the object."""
        from botocore.exceptions import ClientError

        try:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)[
                "Body"
            ].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(f"{self.url}/{key}") from None
            raise
        return body

    def head(self, key: str) -> ObjectInfo | None:
        """HEAD the object."""
        from botocore.exceptions import ClientError

        try:
            meta = self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        return ObjectInfo(
            key, int(meta["ContentLength"]), meta["ETag"].strip('"'), meta["LastModified"]
        )

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """List objects under `prefix` (paginated)."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for obj in page.get("Contents", []):
                yield ObjectInfo(
                    key=obj["Key"][len(self.prefix) :],
                    size=int(obj["Size"]),
                    etag=obj["ETag"].strip('"'),
                    last_modified=obj["LastModified"],
                )

    def local_path(self, key: str) -> Path | None:
        """S3 objects have no local file."""
        return None

    def delete(self, key: str) -> None:
        """DELETE the object (S3 answers 204 for a missing key too)."""
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)


def open_store(
    url: str,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    base_dir: Path | None = None,
) -> ObjectStore:
    """The store for a lake url: ``s3://bucket/prefix`` or a directory path."""
    if url.startswith("s3://"):
        return S3Store(url, endpoint_url=endpoint_url, region=region)
    path = Path(url).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return LocalStore(path)


def open_lake(cfg: PipelineConfig) -> ObjectStore:
    """The store of a pipeline's configured lake (relative paths from its base dir)."""
    return open_store(
        cfg.lake.url,
        endpoint_url=cfg.lake.endpoint_url,
        region=cfg.lake.region,
        base_dir=cfg.base_dir,
    )


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of bytes (the content hash manifests record)."""
    return hashlib.sha256(data).hexdigest()
