"""Manifests: the commit markers of the lake.

A manifest lists files already written; writing it (write-once) commits them. The
loader reads only files named by a manifest, so a crash before the manifest leaves
orphans that nothing loads, and a crash after it leaves a complete commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from glueflake.errors import LakeError
from glueflake.lake.layout import manifest_key, manifests_prefix
from glueflake.lake.store import ObjectInfo, ObjectStore


class ManifestFile(BaseModel):
    """One committed data file."""

    model_config = ConfigDict(frozen=True)

    key: str
    records: int
    bytes: int
    sha256: str = Field(description="SHA-256 of the file's bytes as written")
    etag: str = Field(description="the store's etag right after writing")


class CursorRange(BaseModel):
    """The incremental cursor values seen in a commit."""

    model_config = ConfigDict(frozen=True)

    field: str
    min: str
    max: str


class Manifest(BaseModel):
    """One commit of one entity: files, counts, hashes and the cursor range."""

    model_config = ConfigDict(frozen=True)

    version: int = 1
    source: str
    entity: str
    run_id: str
    seq: int
    committed_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    files: list[ManifestFile]
    records: int
    cursor: CursorRange | None = None
    payload_sha256: str | None = Field(
        default=None, description="hash of a full-refresh payload, to skip unchanged ones"
    )
    final: bool = Field(default=True, description="the last commit of its run for this entity")

    @property
    def key(self) -> str:
        """Where this manifest lives."""
        return manifest_key(self.source, self.entity, self.run_id, self.seq)


def write_manifest(store: ObjectStore, manifest: Manifest) -> ObjectInfo:
    """Commit a manifest (write-once; an existing key raises ObjectExistsError)."""
    return store.put(manifest.key, manifest.model_dump_json(indent=1).encode())


def read_manifest(store: ObjectStore, key: str) -> Manifest:
    """Read one manifest by key.

    Raises:
        LakeError: the object is not a manifest (malformed JSON included), naming its
            key: what it commits cannot be known.
    """
    try:
        return Manifest.model_validate_json(store.get(key))
    except ValidationError as exc:
        reason = str(exc).splitlines()[0]
        raise LakeError(f"{key}: not a readable manifest ({reason})") from None


def list_manifests(store: ObjectStore, source: str, entity: str) -> Iterator[Manifest]:
    """Every committed manifest of an entity, oldest first (keys sort by run time)."""
    for info in store.list(manifests_prefix(source, entity)):
        if info.key.endswith(".json"):
            yield read_manifest(store, info.key)


def latest_manifest(store: ObjectStore, source: str, entity: str) -> Manifest | None:
    """The newest committed manifest of an entity, or None."""
    keys = [i.key for i in store.list(manifests_prefix(source, entity)) if i.key.endswith(".json")]
    return read_manifest(store, keys[-1]) if keys else None
