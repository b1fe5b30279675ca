"""The one interface every warehouse backend offers the loader and `status`.

`glueflake.load.run` drives a backend through one load or one status report:

1. ``connect(read_only=...)``: open the warehouse (``read_only`` for `status`, which
   must work before the warehouse exists);
2. per selected entity, the shared planning (`glueflake.load.discover.plan_entity`)
   with the backend's ``ledger`` as the record of what is loaded, then ``load`` (the
   plan's pending files under the entity's ``on_error``) or ``status``;
3. ``close()``, always.

What is shared stays out of the backends: which files are committed, the changed-
file rule (etag, then content hash), the result and status types. A backend is one
subpackage (``glueflake.load.duckdb``, ``glueflake.load.snowflake``) registered by
its config ``type`` in `glueflake.load.registry`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from rich.progress import Progress

from glueflake.config import OnError
from glueflake.lake import ObjectInfo, ObjectStore
from glueflake.load.discover import CommittedFile, EntityPlan, LedgerEntry
from glueflake.load.status import EntityStatus
from glueflake.load.summary import EntityLoadResult


class Warehouse(Protocol):
    """A warehouse backend bound to one pipeline config (it connects on `connect` only).

    Attributes:
        dedupes_loads: the warehouse itself makes loading a file twice a no-op
            (Snowflake's load metadata): a load is planned without the ledger, so
            every committed, unchanged file is handed to `load`. False (DuckDB): the
            ledger is the only record, and files it has are not handed over again.
        verifies_on_read: `load` hashes each file as it reads it and reports one that
            does not hash to its manifest's sha256 as changed (DuckDB), so a load's
            plan does not read every pending file first. False: the plan verifies.
    """

    dedupes_loads: bool
    verifies_on_read: bool

    @property
    def location(self) -> str:
        """Where the warehouse is, for people (``status``'s title): a path, an account."""
        ...

    @property
    def exists(self) -> bool:
        """Whether anything was ever loaded there (after ``connect``)."""
        ...

    def connect(self, *, read_only: bool = False) -> None:
        """Open the connection; ``read_only`` must not create anything.

        Raises:
            LoadError: the warehouse cannot be opened (one line naming it).
        """
        ...

    def close(self) -> None:
        """Close the connection (a no-op when not connected)."""
        ...

    def ledger(
        self,
        source: str,
        entity: str,
        committed: Sequence[CommittedFile],
        listing: Mapping[str, ObjectInfo],
    ) -> Mapping[str, LedgerEntry]:
        """What the warehouse recorded of the entity's files, by lake key.

        Args:
            source: the source name.
            entity: the entity name.
            committed: the entity's committed files.
            listing: the lake's current objects under the entity's prefix, by key.
        """
        ...

    def load(
        self,
        plan: EntityPlan,
        on_error: OnError,
        *,
        store: ObjectStore,
        force: bool,
        load_id: str,
        bar: Progress | None = None,
    ) -> EntityLoadResult:
        """Load the plan's pending files into the entity's landing table.

        Args:
            plan: the entity's plan (pending, changed and missing files).
            store: the lake the plan's files are in.
            on_error: the entity's ``on_error``; ``abort`` ends in an aborted result
                with nothing of the entity committed.
            force: this is a forced reload (files already loaded are pending too).
            load_id: this load's id, recorded with what it writes.
            bar: a progress display to advance per file, if any.

        Returns:
            The entity's result.

        Raises:
            LoadError: the load failed other than by ``on_error: abort``.
        """
        ...

    def status(self, plan: EntityPlan) -> EntityStatus:
        """The entity's status (`glueflake.load.status.entity_status` plus the landing rows)."""
        ...

    def dbt_settings(self) -> Mapping[str, Any]:
        """Fields of `glueflake.transform.DbtSettings` this warehouse sets (e.g. a file)."""
        ...
