"""Pictures of glueflake generated from code: the architecture and the dbt lineage.

`generate_diagrams` is what ``glueflake diagrams`` calls: it writes
``architecture.png`` (from the pipeline config) and ``lineage.png`` (from dbt's
parsed manifest) into one folder. Both need Graphviz's `dot` on PATH.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from glueflake.config import PipelineConfig
from glueflake.diagrams.architecture import architecture_labels, render_architecture
from glueflake.diagrams.errors import DiagramError
from glueflake.diagrams.lineage import lineage_dot, lineage_graph, render_lineage
from glueflake.diagrams.manifest import parse_manifest, read_manifest

__all__ = [
    "DiagramError",
    "DiagramPaths",
    "architecture_labels",
    "generate_diagrams",
    "lineage_dot",
    "lineage_graph",
    "parse_manifest",
    "read_manifest",
    "render_architecture",
    "render_lineage",
]

ARCHITECTURE_FILE = "architecture.png"
LINEAGE_FILE = "lineage.png"


@dataclass(frozen=True)
class DiagramPaths:
    """The pictures written by `generate_diagrams`."""

    architecture: Path
    lineage: Path

    def __rich__(self) -> str:
        return f"wrote {self.architecture} and {self.lineage}"


def generate_diagrams(
    config: PipelineConfig,
    out_dir: Path,
    *,
    manifest_path: Path | None = None,
    target_path: Path | None = None,
) -> DiagramPaths:
    """Write the architecture and lineage pictures.

    Args:
        config: the pipeline (names on the architecture; where the dbt project is).
        out_dir: folder for ``architecture.png`` and ``lineage.png``.
        manifest_path: use this ``manifest.json`` instead of running ``dbt parse``.
        target_path: dbt's target folder for the parse (default: the project's).

    Returns:
        The two files written.

    Raises:
        DiagramError: `dot` is missing, dbt could not parse, or drawing failed.
    """
    if manifest_path is not None:
        manifest = read_manifest(manifest_path)
    else:
        manifest = parse_manifest(
            config.resolve_path(config.dbt.project_dir).resolve(),
            config.resolve_path(config.dbt.profiles_dir).resolve(),
            target=config.dbt.target,
            target_path=target_path.resolve() if target_path is not None else None,
        )
    project = str((manifest.get("metadata") or {}).get("project_name") or "") or None
    architecture = render_architecture(config, out_dir / ARCHITECTURE_FILE)
    lineage = render_lineage(
        manifest,
        out_dir / LINEAGE_FILE,
        package=project,
        title=f"dbt lineage: {project or 'project'} (left to right)",
    )
    return DiagramPaths(architecture=architecture, lineage=lineage)
