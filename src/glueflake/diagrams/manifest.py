"""Get dbt's parsed manifest: run ``dbt parse`` in process, or read a file already there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from glueflake.diagrams.errors import DiagramError

MANIFEST_FILE = "manifest.json"


def read_manifest(path: Path) -> dict[str, Any]:
    """Read a ``manifest.json`` written by dbt.

    Raises:
        DiagramError: the file is missing or is not a JSON object.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DiagramError(f"{path}: no dbt manifest there (run `dbt parse` first)") from None
    except json.JSONDecodeError as exc:
        raise DiagramError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict) or "nodes" not in data:
        raise DiagramError(f"{path}: not a dbt manifest (no 'nodes')")
    return data


def parse_manifest(
    project_dir: Path,
    profiles_dir: Path,
    *,
    target: str | None = None,
    target_path: Path | None = None,
) -> dict[str, Any]:
    """Run ``dbt parse`` through dbt's Python API and return the manifest it wrote.

    Parsing renders the project (sources, refs, configs) but opens no warehouse
    connection, so the profile's target only has to render.

    Args:
        project_dir: folder holding ``dbt_project.yml``.
        profiles_dir: folder holding ``profiles.yml``.
        target: profile target (default: the profile's own default).
        target_path: where dbt writes its artefacts and logs (default: the project's
            ``target-path``, usually ``<project_dir>/target``).

    Returns:
        The manifest as a dictionary.

    Raises:
        DiagramError: dbt is not installed or the project does not parse.
    """
    try:
        from dbt.cli.main import dbtRunner
    except ImportError as exc:  # pragma: no cover - dbt-core is a dependency
        raise DiagramError(f"dbt-core is not installed: {exc}") from None
    if not (project_dir / "dbt_project.yml").is_file():
        raise DiagramError(f"{project_dir}: no dbt_project.yml there")
    args = [
        "parse",
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(profiles_dir),
        "--quiet",
    ]
    if target:
        args += ["--target", target]
    if target_path is not None:
        args += ["--target-path", str(target_path), "--log-path", str(target_path / "logs")]
    result = dbtRunner().invoke(args)
    if not result.success:
        reason = result.exception or "see dbt's log"
        raise DiagramError(f"dbt parse failed in {project_dir}: {reason}")
    out_dir = target_path if target_path is not None else _project_target_path(project_dir)
    return read_manifest(out_dir / MANIFEST_FILE)


def _project_target_path(project_dir: Path) -> Path:
    """The ``target-path`` of a dbt project (``target`` unless dbt_project.yml says)."""
    import yaml

    try:
        project = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        project = None
    name = project.get("target-path") if isinstance(project, dict) else None
    path = Path(str(name or "target"))
    return path if path.is_absolute() else project_dir / path
