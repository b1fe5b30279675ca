"""dbt lineage as a picture: a parsed manifest in, DOT source out (then `dot` draws it).

`lineage_graph` and `lineage_dot` are pure functions of the manifest dictionary
(`target/manifest.json` as dbt writes it), so they are tested without dbt or Graphviz.
Nodes are the project's sources, seeds, models and snapshots; tests, unit tests and
macros are left out. Models take their layer from their folder under ``models/``
(``raw``, ``transform``, ``mart``); a model elsewhere is drawn as ``other``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glueflake.diagrams.render import render_dot

#: Layers in the order they are drawn (left to right) and listed in the legend.
LAYERS: tuple[str, ...] = ("source", "seed", "raw", "snapshot", "transform", "mart", "other")
MODEL_LAYERS: frozenset[str] = frozenset({"raw", "transform", "mart"})


@dataclass(frozen=True)
class LayerStyle:
    """How one layer is drawn.

    Attributes:
        title: cluster heading.
        fill: node fill colour.
        border: node border and cluster outline colour.
    """

    title: str
    fill: str
    border: str


LAYER_STYLES: Mapping[str, LayerStyle] = {
    "source": LayerStyle("sources: landing tables", "#E3EAF2", "#4A6785"),
    "seed": LayerStyle("seeds", "#EFE4F5", "#7D4E9A"),
    "raw": LayerStyle("raw: typed, deduplicated", "#FFF1CC", "#A87B00"),
    "snapshot": LayerStyle("snapshots: history", "#FBE3CF", "#B8581A"),
    "transform": LayerStyle("transform: cleaned, enriched", "#D9EAF7", "#2471A3"),
    "mart": LayerStyle("mart: business-ready", "#D6F2E1", "#1B7A43"),
    "other": LayerStyle("other models", "#EEEEEE", "#707070"),
}

_DRAWN_TYPES = frozenset({"model", "seed", "snapshot"})


@dataclass(frozen=True, order=True)
class LineageNode:
    """One box of the lineage picture.

    Attributes:
        unique_id: dbt's id, e.g. ``model.glueflake.fct_orders``.
        label: text shown, e.g. ``fct_orders``, ``landing.shop__orders`` or, for a
            dbt Python model, ``customer_segments (python)``.
        layer: one of `LAYERS`.
    """

    unique_id: str
    label: str
    layer: str


@dataclass(frozen=True)
class LineageGraph:
    """Nodes and edges (parent id, child id), both sorted."""

    nodes: tuple[LineageNode, ...]
    edges: tuple[tuple[str, str], ...]

    def by_layer(self) -> dict[str, list[LineageNode]]:
        """Nodes grouped by layer, in `LAYERS` order, empty layers left out."""
        groups: dict[str, list[LineageNode]] = {}
        for layer in LAYERS:
            members = [n for n in self.nodes if n.layer == layer]
            if members:
                groups[layer] = members
        return groups


def model_layer(node: Mapping[str, Any]) -> str:
    """The layer of a model node: the folder it sits in under the model path.

    Uses the node's ``fqn`` (``[project, folder, ..., name]``) and falls back on
    ``original_file_path`` (``models/<folder>/...``).
    """
    fqn = node.get("fqn") or []
    if len(fqn) > 2 and fqn[1] in MODEL_LAYERS:
        return str(fqn[1])
    parts = Path(str(node.get("original_file_path", ""))).parts
    if len(parts) > 2 and parts[1] in MODEL_LAYERS:
        return parts[1]
    return "other"


def node_layer(node: Mapping[str, Any]) -> str | None:
    """The layer of any manifest node or source, or None when it is not drawn."""
    kind = node.get("resource_type")
    if kind == "source":
        return "source"
    if kind in ("seed", "snapshot"):
        return str(kind)
    if kind == "model":
        return model_layer(node)
    return None


def _label(node: Mapping[str, Any]) -> str:
    if node.get("resource_type") == "source":
        return f"{node.get('source_name', '')}.{node.get('name', '')}".strip(".")
    label = str(node.get("name") or node.get("unique_id", "?"))
    if node.get("language") == "python":  # a dbt Python model: say so in its box
        label += " (python)"
    return label


def lineage_graph(manifest: Mapping[str, Any], *, package: str | None = None) -> LineageGraph:
    """The drawable part of a dbt manifest.

    Args:
        manifest: ``target/manifest.json`` as a dictionary (keys ``nodes``, ``sources``).
        package: keep only nodes of this dbt package (e.g. the project's own name,
            leaving out installed packages); None keeps all.

    Returns:
        The nodes (sources, seeds, models, snapshots) and the edges between them from
        each node's ``depends_on.nodes``; an edge to a node that is not drawn (a
        test, a disabled model) is dropped.
    """
    entries: list[Mapping[str, Any]] = [
        *dict(manifest.get("sources") or {}).values(),
        *(
            n
            for n in dict(manifest.get("nodes") or {}).values()
            if n.get("resource_type") in _DRAWN_TYPES
        ),
    ]
    nodes: dict[str, LineageNode] = {}
    for entry in entries:
        if package is not None and entry.get("package_name") != package:
            continue
        layer = node_layer(entry)
        if layer is None:
            continue
        uid = str(entry["unique_id"])
        nodes[uid] = LineageNode(uid, _label(entry), layer)
    edges: set[tuple[str, str]] = set()
    for entry in entries:
        child = str(entry.get("unique_id"))
        if child not in nodes:
            continue
        depends = entry.get("depends_on") or {}
        for parent in depends.get("nodes") or ():
            if parent in nodes and parent != child:
                edges.add((str(parent), child))
    return LineageGraph(tuple(sorted(nodes.values())), tuple(sorted(edges)))


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _attrs(pairs: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{key}={_quote(value)}" for key, value in pairs)


def graph_dot(graph: LineageGraph, *, title: str = "dbt lineage", clusters: bool = True) -> str:
    """DOT source for a lineage graph, laid out left to right.

    Args:
        graph: from `lineage_graph`.
        title: heading of the picture.
        clusters: draw a labelled box around each layer (the legend); without them
            colour alone tells the layers apart.

    Returns:
        The same text for the same graph (nodes and edges in sorted order).
    """
    font = "Helvetica"
    lines = [
        "digraph lineage {",
        "    graph ["
        + _attrs(
            [
                ("rankdir", "LR"),
                ("label", title),
                ("labelloc", "t"),
                ("fontname", font),
                ("fontsize", "20"),
                ("nodesep", "0.25"),
                ("ranksep", "0.9"),
                ("pad", "0.3"),
                ("bgcolor", "white"),
            ]
        )
        + "];",
        "    node ["
        + _attrs(
            [
                ("shape", "box"),
                ("style", "rounded,filled"),
                ("fontname", font),
                ("fontsize", "12"),
                ("penwidth", "1.4"),
                ("margin", "0.15,0.06"),
            ]
        )
        + "];",
        "    edge [" + _attrs([("color", "#7B8894"), ("arrowsize", "0.7")]) + "];",
    ]
    for layer, members in graph.by_layer().items():
        style = LAYER_STYLES[layer]
        indent = "    "
        if clusters:
            lines.append(f"    subgraph {_quote('cluster_' + layer)} {{")
            lines.append(
                "        graph ["
                + _attrs(
                    [
                        ("label", style.title),
                        ("style", "rounded,dashed"),
                        ("color", style.border),
                        ("fontcolor", style.border),
                        ("fontname", font),
                        ("fontsize", "14"),
                    ]
                )
                + "];"
            )
            indent = "        "
        for node in members:
            attrs = [
                ("label", node.label),
                ("fillcolor", style.fill),
                ("color", style.border),
                ("tooltip", node.unique_id),
            ]
            lines.append(f"{indent}{_quote(node.unique_id)} [{_attrs(attrs)}];")
        if clusters:
            lines.append("    }")
    for parent, child in graph.edges:
        lines.append(f"    {_quote(parent)} -> {_quote(child)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def lineage_dot(
    manifest: Mapping[str, Any],
    *,
    package: str | None = None,
    title: str = "dbt lineage",
    clusters: bool = True,
) -> str:
    """DOT source for a dbt manifest: `lineage_graph` then `graph_dot`."""
    return graph_dot(lineage_graph(manifest, package=package), title=title, clusters=clusters)


def render_lineage(
    manifest: Mapping[str, Any],
    out_path: Path,
    *,
    package: str | None = None,
    title: str = "dbt lineage",
) -> Path:
    """Draw the lineage of a manifest into a picture (format from the file suffix).

    Raises:
        DiagramError: `dot` is missing or failed.
    """
    fmt = out_path.suffix.lstrip(".") or "png"
    return render_dot(lineage_dot(manifest, package=package, title=title), out_path, fmt=fmt)
