"""The lineage picture for the report: Graphviz SVG with row counts, or the committed PNG."""

from __future__ import annotations

import base64
import dataclasses
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from glueflake.diagrams.errors import DiagramError
from glueflake.diagrams.lineage import LineageGraph, graph_dot
from glueflake.diagrams.render import dot_path, render_dot
from glueflake.report.model import Lineage, ModelCount

_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
# The root element's fixed size (points): dropped so the page scales it by its viewBox.
_SIZE = re.compile(r'(<svg\b[^>]*?)\s(?:width|height)="[^"]*"([^>]*?)\s(?:width|height)="[^"]*"')


def counted_graph(graph: LineageGraph, counts: Mapping[str, ModelCount]) -> LineageGraph:
    """The same graph with each node's row count on a second line of its label."""
    nodes = []
    for node in graph.nodes:
        count = counts.get(node.unique_id)
        label = node.label
        if count is not None and count.rows is not None:
            label += f"\n{count.rows:,} rows"
        nodes.append(dataclasses.replace(node, label=label))
    return LineageGraph(tuple(nodes), graph.edges)


def lineage_svg(graph: LineageGraph, counts: Mapping[str, ModelCount], title: str) -> str:
    """Inline SVG (no XML prologue) of the lineage with row counts.

    Raises:
        DiagramError: Graphviz's `dot` is missing or failed.
    """
    dot = graph_dot(counted_graph(graph, counts), title=title)
    with tempfile.TemporaryDirectory(prefix="glueflake-lineage-") as tmp:
        path = render_dot(dot, Path(tmp) / "lineage.svg", fmt="svg")
        svg = path.read_text(encoding="utf-8")
    return _SIZE.sub(r"\1\2", _PROLOGUE.sub("", svg, count=1), count=1)


def lineage_view(
    graph: LineageGraph,
    counts: Mapping[str, ModelCount],
    *,
    title: str,
    fallback_png: Path | None = None,
) -> tuple[Lineage, str | None]:
    """The report's lineage: SVG when `dot` is there, else the PNG, else nothing.

    Returns:
        The picture and a note saying what was left out and why (None when nothing was).
    """
    links = {uid: c.docs_url for uid, c in counts.items()}
    note = None
    if dot_path() is not None:
        try:
            return Lineage(svg=lineage_svg(graph, counts, title), links=links), None
        except DiagramError as exc:
            note = f"lineage drawn without row counts: {exc}"
    else:
        note = "Graphviz's `dot` is not installed, so the lineage carries no row counts"
    if fallback_png is not None and fallback_png.is_file():
        data = base64.b64encode(fallback_png.read_bytes()).decode("ascii")
        return Lineage(png_data_uri=f"data:image/png;base64,{data}", links=links), note
    return Lineage(links=links), f"{note}; there is no diagrams/lineage.png to show instead"
