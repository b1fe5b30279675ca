"""`glueflake state show|reset SOURCE.ENTITY`: an incremental entity's bookmark.

A bookmark lives in the lake next to the entity's files and moves only after the
manifest that carried its cursor commits (see the extract). Resetting it writes the
endpoint's ``incremental.initial`` back as the bookmark, so the next run re-reads
everything the API has from that value on; the raw models keep one version per key,
so re-read records do not duplicate rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from glueflake.config import ConfigError, PipelineConfig
from glueflake.extract.incremental import Bookmark, read_bookmark, write_bookmark
from glueflake.lake.store import open_lake


@dataclass(frozen=True)
class EntityState:
    """Where one entity's extract stands."""

    name: str
    cursor_field: str | None
    initial: str | None
    bookmark: Bookmark | None

    def lines(self) -> list[str]:
        """What `state show` prints."""
        if self.cursor_field is None:
            return [f"{self.name}: not incremental (every run reads the whole endpoint)"]
        if self.bookmark is None:
            return [f"{self.name}: no bookmark yet; the next run reads from {self.initial}"]
        b = self.bookmark
        return [
            f"{self.name}: {b.field} >= {b.value} (the next run asks for this and later)",
            f"  set by run {b.run_id or '-'} at {b.updated_at or '-'}; "
            f"{len(b.ids)} record(s) at exactly that value already committed",
            f"  manifest {b.manifest or '-'}",
        ]


def _entity(config: PipelineConfig, name: str) -> tuple[str, str]:
    if not name.partition(".")[2]:
        raise ConfigError(f"{name!r}: name one entity as SOURCE.ENTITY")
    ((found_source, found_entity),) = config.select([name])
    return found_source, found_entity


def show_state(config: PipelineConfig, name: str) -> EntityState:
    """The bookmark of entity `name` (``source.entity``).

    Raises:
        ConfigError: `name` is not one configured entity.
    """
    source, entity = _entity(config, name)
    incremental = config.sources[source].endpoints[entity].incremental
    if incremental is None:
        return EntityState(name, None, None, None)
    bookmark = read_bookmark(open_lake(config), source, entity)
    return EntityState(name, incremental.cursor_field, incremental.initial, bookmark)


def reset_state(config: PipelineConfig, name: str, *, now: datetime | None = None) -> EntityState:
    """Set entity `name`'s bookmark back to its ``incremental.initial``.

    Returns:
        The state after the reset.

    Raises:
        ConfigError: `name` is not one configured incremental entity.
    """
    source, entity = _entity(config, name)
    incremental = config.sources[source].endpoints[entity].incremental
    if incremental is None:
        raise ConfigError(f"{name} is not incremental: there is no bookmark to reset")
    bookmark = Bookmark(
        field=incremental.cursor_field,
        value=incremental.initial,
        run_id="reset",
        updated_at=(now or datetime.now(UTC)).isoformat(),
    )
    write_bookmark(open_lake(config), source, entity, bookmark)
    return EntityState(name, incremental.cursor_field, incremental.initial, bookmark)
