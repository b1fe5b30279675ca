"""`glueflake add-source`: probe an endpoint, infer its records, plan the files to write.

The plan is computed in full before anything is written (`AddSource.changes`), so
the CLI can show it as a diff and ask; `AddSource.write` then writes every file.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from glueflake.config import IDENTIFIER, PipelineConfig, load_config
from glueflake.scaffold.infer import Inference, infer, snake_case
from glueflake.scaffold.probe import Probe, Prober, ScaffoldError, split_url
from glueflake.scaffold.render import (
    Plan,
    insert_endpoint,
    insert_source,
    models_yml,
    raw_model_sql,
    sources_yml,
)


@dataclass(frozen=True)
class FileChange:
    """One file to create or change."""

    path: Path
    before: str | None
    after: str

    def diff(self) -> str:
        """A unified diff of the change (a new file diffs against nothing)."""
        before = (self.before or "").splitlines(keepends=True)
        after = self.after.splitlines(keepends=True)
        try:
            name = str(self.path.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            name = str(self.path)
        return "".join(
            difflib.unified_diff(
                before,
                after,
                fromfile="/dev/null" if self.before is None else name,
                tofile=name,
            )
        )


@dataclass
class AddSource:
    """What add-source found and will write."""

    plan: Plan
    probe: Probe
    changes: list[FileChange]
    notes: list[str] = field(default_factory=list)

    def write(self) -> None:
        """Write every change (folders created as needed)."""
        for change in self.changes:
            change.path.parent.mkdir(parents=True, exist_ok=True)
            change.path.write_text(change.after, encoding="utf-8")

    def summary(self) -> list[str]:
        """Lines saying what was found, for the user."""
        p, inf = self.probe, self.plan.inference
        kinds: dict[str, int] = {}
        for column in inf.columns:
            kinds[column.kind] = kinds.get(column.kind, 0) + 1
        shown = ", ".join(f"{n} {k}" for k, n in kinds.items())
        return [
            f"records at {p.records_path or 'the body (a list)'!s}; pagination "
            f"{p.pagination['type']}; {inf.samples} samples from {p.pages} page(s)",
            f"{len(inf.columns)} columns ({shown}); primary key {self.plan.primary_key!r}; "
            + (
                f"versions ordered by {self.plan.cursor_field!r}"
                if self.plan.cursor_field
                else "no cursor field (the latest load wins)"
            ),
        ]


def _name(value: str, what: str) -> str:
    if not IDENTIFIER.match(value):
        raise ScaffoldError(
            f"{what} {value!r}: use lowercase letters, digits and _, starting with a letter"
        )
    return value


Chooser = Callable[[str, Sequence[str]], str]
"""``choose(what, options)``: the user picks one of `options` (the first is the default)."""


def _choose_key(
    inference: Inference, given: str | None, notes: list[str], choose: Chooser | None = None
) -> str:
    if given:
        column = inference.column(given)
        if column is None:
            known = ", ".join(c.key for c in inference.columns)
            raise ScaffoldError(f"--primary-key {given!r}: no such field in the samples ({known})")
        if not column.unique or column.present < inference.samples:
            notes.append(
                f"primary key {given!r}: not unique or not always present in the samples; "
                "the raw model keeps one row per value"
            )
        return given
    candidates = inference.key_candidates
    if not candidates:
        raise ScaffoldError(
            f"no field is present and unique in all {inference.samples} samples with a key-like "
            "name (id, *_id, uuid, key, code); pass --primary-key"
        )
    if len(candidates) > 1:
        if choose is not None:
            return choose("primary key", candidates)
        notes.append(
            f"primary key: took {candidates[0]!r} of {', '.join(candidates)} "
            "(--primary-key to choose another)"
        )
    return candidates[0]


def _choose_cursor(
    inference: Inference, given: str | None, notes: list[str], choose: Chooser | None = None
) -> str | None:
    if given:
        if inference.column(given) is None:
            raise ScaffoldError(f"--cursor-field {given!r}: no such field in the samples")
        return given
    candidates = inference.cursor_candidates
    if candidates:
        if len(candidates) > 1 and choose is not None:
            return choose("cursor field", candidates)
        if len(candidates) > 1:
            notes.append(
                f"cursor field: took {candidates[0]!r} of {', '.join(candidates)} "
                "(--cursor-field to choose another)"
            )
        return candidates[0]
    notes.append(
        "cursor field: none found (no updated_at-like timestamp); versions are ordered by "
        "load (--cursor-field to name one)"
    )
    return None


def plan_add_source(
    config_path: Path,
    name: str,
    url: str,
    *,
    entity: str | None = None,
    auth: Mapping[str, Any] | None = None,
    primary_key: str | None = None,
    cursor_field: str | None = None,
    records_path: str | None = None,
    pagination: str | None = None,
    incremental_param: str | None = None,
    max_pages: int = 5,
    environ: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
    choose: Chooser | None = None,
) -> AddSource:
    """Probe `url` and plan source `name`: the config block, dbt source, model and yml.

    Args:
        config_path: the pipeline config to add the source to.
        name: the new source's name.
        url: the endpoint's full URL (its query parameters are kept).
        entity: the entity's name (default: the URL's last path segment).
        auth: the source's auth block as the config writes it (secrets ``${VAR}``).
        primary_key: the key field, when the samples cannot say.
        cursor_field: the field ordering versions (``updated_at``...).
        records_path: where the record list is, when it cannot be found.
        pagination: the pagination kind, when it cannot be found.
        incremental_param: the query parameter the API filters changes by; with a
            cursor field, the endpoint is extracted incrementally.
        max_pages: pages to sample at most.
        environ: where ``${VAR}`` secrets are read (default: the environment).
        transport: an httpx transport instead of the network (tests).
        choose: asks the user where the samples leave a choice (several key or
            cursor candidates); None takes the likeliest and says so in the notes.

    Raises:
        ScaffoldError: the endpoint cannot be probed, or something cannot be decided.
        ConfigError: the config cannot be read, or would not be valid afterwards.
    """
    _name(name, "source name")
    config = load_config(config_path, environ=environ or os.environ, resolve_secrets=False)
    _, url_path, _ = split_url(url)
    entity = _name(entity or snake_case(url_path.rstrip("/").rsplit("/", 1)[-1] or name), "entity")
    existing, prefix = _existing_source(config_path, config, name, entity, url)
    if existing is not None and auth is None:
        auth = existing.get("auth")  # probe with the source's own auth
    prober = Prober(url, auth, environ=environ, transport=transport)
    try:
        found = prober.probe(records_path=records_path, pagination=pagination, max_pages=max_pages)
    finally:
        prober.close()
    if not found.records:
        raise ScaffoldError("the endpoint returned no records to sample; nothing to infer")
    inference = infer(found.records)
    notes = list(found.notes)
    if existing is not None:
        notes.append(f"source {name!r} exists: {entity!r} is added to its endpoints, same auth")
    if inference.skipped:
        notes.append(
            f"not typed (no column name for a JSON path): {', '.join(inference.skipped)}; "
            "they stay in the landing table's record"
        )
    key = _choose_key(inference, primary_key, notes, choose)
    cursor = _choose_cursor(inference, cursor_field, notes, choose)
    endpoint = _endpoint(found, prefix, key, cursor, incremental_param, notes)
    block: dict[str, Any] = {"base_url": found.base_url}
    if auth and auth.get("type", "none") != "none":
        block["auth"] = dict(auth)
    block["endpoints"] = {entity: endpoint}
    plan = Plan(name, entity, block, inference, key, cursor, url)
    changes = _changes(config_path, plan, environ, new_source=existing is None)
    return AddSource(plan=plan, probe=found, changes=changes, notes=notes)


def _existing_source(
    config_path: Path, config: PipelineConfig, name: str, entity: str, url: str
) -> tuple[dict[str, Any] | None, str]:
    """Source `name` as written in the file (``${VAR}`` kept), and its base_url's path.

    (None, "") when there is no such source yet.

    Raises:
        ScaffoldError: `url` is not below its base_url, or it has `entity` already.
    """
    if name not in config.sources:
        return None, ""
    raw = yaml.safe_load(config_path.read_text(encoding="utf-8"))["sources"][name]
    base = config.sources[name].base_url
    if not url.startswith(base + "/"):
        raise ScaffoldError(
            f"source {name!r} is at {base}, {url} is not below it; choose another name"
        )
    if entity in config.sources[name].endpoints:
        raise ScaffoldError(f"{name}.{entity} is already configured; --entity names another")
    return (raw if isinstance(raw, dict) else {}), httpx.URL(base).path.rstrip("/")


def _endpoint(
    found: Probe,
    prefix: str,
    key: str,
    cursor: str | None,
    incremental_param: str | None,
    notes: list[str],
) -> dict[str, Any]:
    """The endpoint's block for the config."""
    endpoint: dict[str, Any] = {"path": found.path[len(prefix) :] or "/"}
    if found.records_path:
        endpoint["records"] = found.records_path
    endpoint["primary_key"] = key
    if found.params:
        endpoint["params"] = found.params
    endpoint["pagination"] = found.pagination
    if cursor and incremental_param:
        endpoint["incremental"] = {"cursor_field": cursor, "param": incremental_param}
    elif incremental_param:
        raise ScaffoldError("--incremental-param needs a cursor field (--cursor-field)")
    elif cursor:
        notes.append(
            f"incremental: off (every run reads the whole endpoint); if the API filters by "
            f"{cursor!r}, pass --incremental-param NAME"
        )
    return endpoint


def _changes(
    config_path: Path, plan: Plan, environ: Mapping[str, str] | None, *, new_source: bool
) -> list[FileChange]:
    before = config_path.read_text(encoding="utf-8")
    if new_source:
        after = insert_source(before, plan.source, plan.config_block)
    else:
        endpoint = plan.config_block["endpoints"][plan.entity]
        try:
            after = insert_endpoint(before, plan.source, plan.entity, endpoint)
        except ValueError as exc:
            raise ScaffoldError(f"{config_path}: {exc}") from None
    _check_config(config_path, after, environ)
    config = load_config(config_path, environ=environ or os.environ, resolve_secrets=False)
    folder = config.resolve_path(config.dbt.project_dir) / "models" / "raw" / plan.source
    files = {
        folder / f"_{plan.table}__sources.yml": sources_yml(plan),
        folder / f"_{plan.table}__models.yml": models_yml(plan),
        folder / f"{plan.model}.sql": raw_model_sql(plan),
    }
    changes = [FileChange(config_path, before, after)]
    for path, text in files.items():
        if path.exists():
            raise ScaffoldError(f"{path} already exists; move it away or choose another name")
        changes.append(FileChange(path, None, text))
    return changes


def _check_config(config_path: Path, text: str, environ: Mapping[str, str] | None) -> None:
    """Validate the config as it would be written (secrets not resolved)."""
    with tempfile.NamedTemporaryFile(
        "w", dir=config_path.parent, prefix=".add-source-", suffix=".yml", delete=False
    ) as handle:
        handle.write(text)
    try:
        load_config(handle.name, environ=environ or os.environ, resolve_secrets=False)
    finally:
        Path(handle.name).unlink(missing_ok=True)
