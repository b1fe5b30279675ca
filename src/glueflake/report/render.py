"""Draw the run report: one self-contained HTML page (inline CSS, SVG and a little JS)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from glueflake.report.model import Report, RunRecord

#: Stage colours of the timeline (the lineage picture's palette).
STAGE_COLOURS = {"extract": "#2471A3", "load": "#A87B00", "transform": "#1B7A43"}
OTHER_COLOUR = "#707070"
FAILED_COLOUR = "#C0392B"
CHART_WIDTH = 960
LABEL_WIDTH = 190
ROW_HEIGHT = 26


@dataclass(frozen=True)
class Bar:
    """One stage drawn in the timeline."""

    x: float
    y: float
    width: float
    colour: str
    title: str


@dataclass(frozen=True)
class Timeline:
    """The timeline chart's geometry: one row per run, stages as bars on a shared scale."""

    width: int
    height: int
    rows: Sequence[tuple[float, str, bool]]
    bars: list[Bar]
    ticks: list[tuple[float, str]]


def _fmt_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def timeline(runs: list[RunRecord]) -> Timeline:
    """Lay out the runs (newest on top): each row starts at its run's start."""
    span = max((r.seconds for r in runs), default=0.0) or 1.0
    plot = CHART_WIDTH - LABEL_WIDTH - 20
    scale = plot / span
    rows, bars = [], []
    for i, run in enumerate(runs):
        y = 24 + i * ROW_HEIGHT
        label = f"{run.started:%Y-%m-%d %H:%M:%S}"
        rows.append((y + 13, label, run.ok))
        for stage in run.stages:
            offset = (stage.start - run.started).total_seconds()
            x = LABEL_WIDTH + max(0.0, offset) * scale
            width = max(2.0, stage.seconds * scale)
            colour = STAGE_COLOURS.get(stage.name, OTHER_COLOUR) if stage.ok else FAILED_COLOUR
            title = f"{stage.name}: {_fmt_seconds(stage.seconds)}"
            if stage.detail:
                title += f" ({stage.detail})"
            if not stage.ok:
                title += " FAILED"
            bars.append(Bar(round(x, 1), y + 4, round(width, 1), colour, title))
    ticks = [
        (round(LABEL_WIDTH + plot * f, 1), _fmt_seconds(span * f)) for f in (0, 0.25, 0.5, 0.75, 1)
    ]
    height = 24 + len(runs) * ROW_HEIGHT + 22
    return Timeline(CHART_WIDTH, height, rows, bars, ticks)


def _number(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else "never"


def _hours(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 1:
        return f"{value * 60:.0f} min"
    if value < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} days"


def render_report(report: Report) -> str:
    """The report as one HTML document that loads nothing from anywhere."""
    env = Environment(
        loader=PackageLoader("glueflake.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["n"] = _number
    env.filters["when"] = _when
    env.filters["hours"] = _hours
    env.filters["secs"] = _fmt_seconds
    template = env.get_template("report.html.j2")
    # Embedded for scripts and tests; "</" escaped so it cannot close the script tag.
    data = json.dumps(report.summary(), sort_keys=True).replace("</", "<\\/")
    links = json.dumps(report.lineage.links, sort_keys=True).replace("</", "<\\/")
    return template.render(
        r=report,
        timeline=timeline(report.runs),
        stage_colours=STAGE_COLOURS,
        failed_colour=FAILED_COLOUR,
        summary_json=Markup(data),
        links_json=Markup(links),
        lineage_svg=Markup(report.lineage.svg) if report.lineage.svg else None,
    )
