"""What there is to load: committed lake files against the ledger and the listing.

The planning every warehouse shares (`glueflake.load.run` hands each plan to the
warehouse's backend); the ledger is the backend's (`Warehouse.ledger`).

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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

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
from glueflake.load.types import FileStatus

DEFAULT_ORPHAN_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class CommittedFile:
    """A data file as its manifest committed it (the one such type of every warehouse)."""

    key: str
    run_id: str
    records: int
    bytes: int
    sha256: str
    etag: str
    manifest_key: str
    committed_at: datetime | None = None


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
        reason: how it differs, where more is known than "changed".
    """

    file: CommittedFile
    info: ObjectInfo
    recorded_etag: str
    loaded: bool
    reason: str = ""


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
    ledger: Mapping[str, LedgerEntry] = field(default_factory=dict)

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
                    committed_at=manifest.committed_at,
                )
    return list(seen.values())


def current_sha256(
    info: ObjectInfo, recorded_etag: str, recorded_sha256: str, read_sha256: Callable[[], str]
) -> str:
    """The changed-file rule, the one every warehouse and `status` use.

    A file is unchanged while its etag is the recorded one. An etag alone does not
    prove a change (a copied or restored lake gives every object a new etag), so a
    different etag costs one read of the content, whose hash decides.

    Args:
        info: the store's current info of the file.
        recorded_etag: the etag recorded when it was loaded (or committed).
        recorded_sha256: the content hash recorded with it.
        read_sha256: reads the file and returns its SHA-256 (called only on a new etag).

    Returns:
        The SHA-256 of the content the file holds now: changed iff it is not
        `recorded_sha256`.
    """
    return recorded_sha256 if info.etag == recorded_etag else read_sha256()


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
    verify_content: bool = False,
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
            differs from the recorded one (a copied lake keeps content, not etags), or
            with `verify_content`.
        verify_content: hash every file not loaded yet against its manifest, whatever
            its etag (a manifest is verified, not trusted: a local lake's etag is only
            mtime and size); a mismatch is a changed file.

    Returns:
        The entity's plan.
    """
    plan = EntityPlan(source, entity, committed=list(committed), ledger=ledger)
    for cf in committed:
        info = listing.get(cf.key)
        if info is None:
            plan.missing.append(cf)
            continue
        entry = ledger.get(cf.key)
        recorded_etag, recorded_sha = (entry.etag, entry.sha256) if entry else (cf.etag, cf.sha256)
        if entry is None and verify_content:
            sha = content_sha256(cf.key)
            if sha != cf.sha256 and not force:
                why = "does not hash to its manifest's sha256"
                plan.changed.append(ChangedFile(cf, info, recorded_etag, loaded=False, reason=why))
                continue
        else:
            sha = current_sha256(info, recorded_etag, recorded_sha, partial(content_sha256, cf.key))
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
    if path is not None and path.is_file():
        return file_sha256(path)
    return hashlib.sha256(store.get(key)).hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a local file's bytes."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


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


#: Reads an entity's ledger, given its committed files and the lake's listing by key.
LedgerReader = Callable[
    [str, str, Sequence[CommittedFile], Mapping[str, ObjectInfo]], Mapping[str, LedgerEntry]
]


def no_ledger(
    source: str, entity: str, committed: Sequence[CommittedFile], listing: Mapping[str, ObjectInfo]
) -> Mapping[str, LedgerEntry]:
    """An empty ledger: every committed, unchanged file is pending (see `Warehouse`)."""
    return {}


def plan_entity(
    store: ObjectStore,
    source: str,
    entity: str,
    ledger: LedgerReader = no_ledger,
    *,
    force: bool = False,
    now: datetime | None = None,
    orphan_grace: timedelta = DEFAULT_ORPHAN_GRACE,
    verify_content: bool = False,
) -> EntityPlan:
    """List an entity's lake objects once, read its manifests and classify its files.

    Args:
        store: the lake.
        source: the source name.
        entity: the entity name.
        ledger: reads the warehouse's ledger of the entity's landing table.
        force: reload files already loaded.
        now: the current time (aware; default now).
        orphan_grace: how old an uncommitted file must be to count as an orphan.
        verify_content: hash each file not loaded yet against its manifest (`classify`).

    Returns:
        The entity's plan (its `ledger` is what `ledger` read).
    """
    manifests, listing = list_entity(store, source, entity)
    committed = committed_files(manifests)
    return classify(
        source,
        entity,
        committed,
        listing,
        ledger(source, entity, committed, listing),
        force=force,
        now=now or datetime.now(UTC),
        orphan_grace=orphan_grace,
        content_sha256=lambda key: object_sha256(store, key),
        verify_content=verify_content,
    )
