"""Pure helpers of the harness: statistics over repeats, ratios and their formatting.

Nothing here measures or touches the machine, so it is unit-tested directly.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Stat:
    """Median, minimum and maximum of one figure over the repeats."""

    median: float
    min: float
    max: float
    n: int

    @classmethod
    def of(cls, samples: Iterable[float]) -> Stat:
        """Summarize samples (at least one).

        Raises:
            ValueError: no samples.
        """
        values = [float(v) for v in samples]
        if not values:
            raise ValueError("no samples to summarize")
        return cls(statistics.median(values), min(values), max(values), len(values))

    def to_dict(self) -> dict[str, float | int]:
        """Plain form for the JSON results."""
        return {"median": self.median, "min": self.min, "max": self.max, "n": self.n}


def rate(count: float, seconds: float) -> float:
    """``count`` per second; 0 when no time was measured."""
    return count / seconds if seconds > 0 else 0.0


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``; ``nan`` when the denominator is 0."""
    return numerator / denominator if denominator else float("nan")


def fmt_seconds(stat: Stat) -> str:
    """``1.23 s (1.20-1.31)``: median, then min-max."""
    return f"{_sec(stat.median)} ({_sec(stat.min)}-{_sec(stat.max)})"


def _sec(value: float) -> str:
    if value >= 100:
        return f"{value:.0f} s"
    if value >= 10:
        return f"{value:.1f} s"
    return f"{value:.2f} s"


def fmt_count(value: float) -> str:
    """A count with thousands separators and no decimals."""
    return f"{value:,.0f}"


def fmt_rate(value: float) -> str:
    """A per-second rate: ``142,000/s``."""
    return f"{value:,.0f}/s"


def fmt_mb(value: float) -> str:
    """Megabytes with one decimal."""
    return f"{value:,.1f}"


def fmt_x(value: float) -> str:
    """A ratio as ``12.3x`` (two decimals below 10)."""
    if value != value:  # nan
        return "n/a"
    return f"{value:.2f}x" if value < 10 else f"{value:.1f}x"


def fmt_pct(value: float) -> str:
    """A percentage: ``3.4%``."""
    if value != value:
        return "n/a"
    return f"{value:.1f}%"


RATIO_KEYS = (
    "e2e_vs_dlt",
    "load_vs_duckdb",
    "extract_vs_fetch",
    "dbt_vs_sql",
    "incremental",
    "incremental_e2e",
    "noop_run",
    "peak_rss_mb",
)


def ratios_line(ratios: Mapping[str, float | None]) -> str:
    """The closing line of `make bench`.

    ``ratios: e2e_vs_dlt=..x load_vs_duckdb=..x extract_vs_fetch=..x dbt_vs_sql=..x
    incremental=..% incremental_e2e=..% noop_run=..s peak_rss_mb=..``; a figure not
    measured (for example dlt skipped) reads ``n/a``.

    Args:
        ratios: the figures by key (``incremental`` and ``incremental_e2e`` as
            percentages, ``noop_run`` in seconds); missing or None means not measured.
    """
    parts: list[str] = []
    for key in RATIO_KEYS:
        value = ratios.get(key)
        if value is None or value != value:
            text = "n/a"
        elif key in ("incremental", "incremental_e2e"):
            text = fmt_pct(value)
        elif key == "noop_run":
            text = f"{value:.2f}s"
        elif key == "peak_rss_mb":
            text = f"{value:.0f}"
        else:
            text = fmt_x(value)
        parts.append(f"{key}={text}")
    return "ratios: " + " ".join(parts)


def check_counts(what: str, counts: Mapping[str, int | None]) -> None:
    """Fail loudly unless every compared side got the same number of records.

    Args:
        what: the comparison, for the message.
        counts: records per side; None means the side was not run and is ignored.

    Raises:
        CountMismatch: two sides differ.
    """
    seen = {side: n for side, n in counts.items() if n is not None}
    if len(set(seen.values())) > 1:
        detail = ", ".join(f"{side}={n:,}" for side, n in seen.items())
        raise CountMismatch(f"{what}: the compared sides got different record counts: {detail}")


class CountMismatch(RuntimeError):
    """Two compared sides did not process the same records: the comparison is void."""


def medians(samples: Mapping[str, Sequence[float]]) -> dict[str, Stat]:
    """Summarize every non-empty series."""
    return {key: Stat.of(values) for key, values in samples.items() if values}
