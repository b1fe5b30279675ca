"""What there is to load: committed lake files against the ledger and the listing.

A data file is *committed* when a manifest lists it. Against the ledger and the
store's current listing each committed file is exactly one of:

- pending: not in the ledger yet (or in it, with ``force``) and present as committed;
- loaded: in the ledger with the same content;
- changed: its etag differs from the one recorded (in the ledger once loaded, in the
  manifest before) and so does its content hash: reported, not loaded (``force`` does);
- missing: named by a manifest but absent from the store.

Data files no manifest lists are *orphans* once older than a grace period (a crashed
extract), and *in flight* before that (an extract still writing). Neither is loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from glueflake.errors import LakeError, LoadError
from glueflake.lake import (
    Manifest,
    ObjectInfo,
    ObjectStore,
    entity_prefix,
    list_manifests,
    manifests_prefix,
    parse_data_key,
    read_manifest,
)
from glueflake.load.typing import FileStatus

DEFAULT_ORPHAN_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class CommittedFile:
    """A data file as its manifest committed it."""

    key: str
    run_id: str
    records: int
    bytes: int
    sha256: str
    etag: str
    manifest_key: str


@dataclass(frozen=True)
class LedgerEntry:
    """What the ledger remembers of one loaded file."""

    key: str
    etag: str
    sha256: str
    status: FileStatus
    rows_loaded: int
    rows_rejected: int
    loaded_at: datetime | None = None


@dataclass(frozen=True)
class PendingFile:
    """A committed file to load now.

    Attributes:
        file: the file as committed.
        info: the store's current info (etag, size, last modified).
        sha256: the SHA-256 of the content it holds now, which the ledger records
            (the committed one's, unless a forced reload takes a changed file).
        reload: the ledger already has it (a forced reload: replace its rows).
    """

    file: CommittedFile
    info: ObjectInfo
    sha256: str
    reload: bool = False


@dataclass(frozen=True)
class ChangedFile:
    """A committed file whose content is no longer what was committed or loaded.

    Attributes:
        file: the file as committed.
        info: the store's current info.
        recorded_etag: the etag it had when loaded (or committed, if never loaded).
        loaded: whether the ledger has it.
    """

    file: CommittedFile
    info: ObjectInfo
    recorded_etag: str
    loaded: bool


@dataclass
class EntityPlan:
    """The state of one entity's lake files against its landing table's ledger."""

    source: str
    entity: str
    committed: list[CommittedFile] = field(default_factory=list)
    manifests: list[Manifest] = field(default_factory=list)
    pending: list[PendingFile] = field(default_factory=list)
    loaded: list[CommittedFile] = field(default_factory=list)
    changed: list[ChangedFile] = field(default_factory=list)
    missing: list[CommittedFile] = field(default_factory=list)
    orphans: list[ObjectInfo] = field(default_factory=list)
    in_flight: list[ObjectInfo] = field(default_factory=list)

    @property
    def table(self) -> str:
        """The landing table's name (without schema)."""
        return f"{self.source}__{self.entity}"


def committed_files(manifests: Iterable[Manifest]) -> list[CommittedFile]:
    """The files the manifests commit, oldest commit first, each key once."""
    seen: dict[str, CommittedFile] = {}
    for manifest in manifests:
        for f in manifest.files:
            if f.key not in seen:
                seen[f.key] = CommittedFile(
                    key=f.key,
                    run_id=manifest.run_id,
                    records=f.records,
                    bytes=f.bytes,
                    sha256=f.sha256,
                    etag=f.etag,
                    manifest_key=manifest.key,
                )
    return list(seen.values())


def classify(
    source: str,
    entity: str,
    committed: list[CommittedFile],
    listing: Mapping[str, ObjectInfo],
    ledger: Mapping[str, LedgerEntry],
    *,
    force: bool = False,
    now: datetime,
    orphan_grace: timedelta = DEFAULT_ORPHAN_GRACE,
    content_sha256: Callable[[str], str],
) -> EntityPlan:
    """Sort an entity's files into pending, loaded, changed, missing, orphaned, in flight.

    Args:
        source: the source name.
        entity: the entity name.
        committed: the files the entity's manifests commit.
        listing: the store's current objects under the entity's prefix, by key.
        ledger: the ledger's entries for the entity's landing table, by key.
        force: reload files already loaded, changed ones included.
        now: the current time (aware), for the orphans' grace period.
        orphan_grace: how old an uncommitted file must be to count as an orphan.
        content_sha256: reads a key and returns its SHA-256; called only when an etag
            differs from the recorded one (a copied lake keeps content, not etags).

    Returns:
        The entity's plan.
    """
    plan = EntityPlan(source, entity, committed=list(committed))
    for cf in committed:
        info = listing.get(cf.key)
        if info is None:
            plan.missing.append(cf)
            continue
        entry = ledger.get(cf.key)
        recorded_etag, recorded_sha = (entry.etag, entry.sha256) if entry else (cf.etag, cf.sha256)
        sha = recorded_sha if info.etag == recorded_etag else content_sha256(cf.key)
        if force:
            plan.pending.append(PendingFile(cf, info, sha, reload=entry is not None))
        elif sha != recorded_sha:
            plan.changed.append(ChangedFile(cf, info, recorded_etag, loaded=entry is not None))
        elif entry is not None:
            plan.loaded.append(cf)
        else:
            plan.pending.append(PendingFile(cf, info, sha))
    known = {cf.key for cf in committed}
    for key, info in sorted(listing.items()):
        parsed = parse_data_key(key)
        if parsed is None or key in known:
            continue
        if (parsed.source, parsed.entity) != (source, entity):
            continue
        (plan.orphans if now - info.last_modified >= orphan_grace else plan.in_flight).append(info)
    return plan


def object_sha256(store: ObjectStore, key: str) -> str:
    """SHA-256 of an object's bytes (read from its local file when it has one)."""
    path = store.local_path(key)
    digest = hashlib.sha256()
    if path is not None and path.is_file():
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    else:
        digest.update(store.get(key))
    return digest.hexdigest()


def list_entity(
    store: ObjectStore, source: str, entity: str
) -> tuple[list[Manifest], dict[str, ObjectInfo]]:
    """List an entity's lake objects once: its manifests (oldest first) and other objects.

    For a warehouse whose load record is built from the manifests (Snowflake's load
    metadata knows no etags), before `classify`; `plan_entity` is both steps in one.

    Returns:
        The committed manifests, and every other object under the entity's prefix by key.
    """
    listing: dict[str, ObjectInfo] = {}
    manifest_keys: list[str] = []
    mprefix = manifests_prefix(source, entity)
    for info in store.list(entity_prefix(source, entity)):
        if info.key.startswith(mprefix):
            if info.key.endswith(".json"):
                manifest_keys.append(info.key)
        else:
            listing[info.key] = info
    with _manifests_must_read():
        return [read_manifest(store, key) for key in sorted(manifest_keys)], listing


def read_manifests(store: ObjectStore, source: str, entity: str) -> list[Manifest]:
    """Every committed manifest of an entity, oldest first (LoadError naming a bad one)."""
    with _manifests_must_read():
        return list(list_manifests(store, source, entity))


@contextmanager
def _manifests_must_read() -> Iterator[None]:
    """An unreadable manifest stops the load (what it commits cannot be known)."""
    try:
        yield
    except LakeError as exc:
        raise LoadError(str(exc)) from None


def plan_entity(
    store: ObjectStore,
    source: str,
    entity: str,
    ledger: Mapping[str, LedgerEntry],
    *,
    force: bool = False,
    now: datetime,
    orphan_grace: timedelta = DEFAULT_ORPHAN_GRACE,
) -> EntityPlan:
    """List an entity's lake objects once, read its manifests and classify its files.

    Args:
        store: the lake.
        source: the source name.
        entity: the entity name.
        ledger: the ledger's entries for the entity's landing table, by key.
        force: reload files already loaded.
        now: the current time (aware).
        orphan_grace: how old an uncommitted file must be to count as an orphan.

    Returns:
        The entity's plan.
    """
    manifests, listing = list_entity(store, source, entity)
    plan = classify(
        source,
        entity,
        committed_files(manifests),
        listing,
        ledger,
        force=force,
        now=now,
        orphan_grace=orphan_grace,
        content_sha256=lambda key: object_sha256(store, key),
    )
    plan.manifests = manifests
    return plan
