"""Simulated time: day numbers, second offsets and ISO-8601 strings.

Day 0 is 2026-01-01 (UTC). Internally every timestamp is an integer number of
seconds since 2026-01-01T00:00:00Z (negative before it), which keeps the data
generators pure integer arithmetic.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TypeAlias

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""Start of simulated day 0."""

DAY = 86_400
"""Seconds in a simulated day."""

HOUR = 3_600
"""Seconds in a simulated hour."""

Since: TypeAlias = str | datetime | int | None
"""Accepted forms of an ``updated_since`` bound."""


def default_day() -> int:
    """Return the simulated day of today (UTC): days from 2026-01-01 to today.

    Returns:
        The number of whole days between 2026-01-01 and today's UTC date.
    """
    return (datetime.now(UTC).date() - EPOCH.date()).days


def day_end(day: int) -> int:
    """Return the last second of ``day`` ("now" on that simulated day).

    Args:
        day: Simulated day number.

    Returns:
        Seconds since the epoch of ``day`` 23:59:59Z.
    """
    return day * DAY + DAY - 1


def hour_end(day: int, hour: int) -> int:
    """Return the last second of hour ``hour`` of ``day`` ("now" at that time of day).

    Args:
        day: Simulated day number.
        hour: Hours of ``day`` that have passed, 1 to 24; 24 is the end of the day.

    Returns:
        Seconds since the epoch of ``day`` ``hour - 1``:59:59Z; ``day_end(day)`` for 24.
    """
    return day * DAY + hour * HOUR - 1


def day_date(day: int) -> date:
    """Return the calendar date of a simulated day.

    Args:
        day: Simulated day number.

    Returns:
        The UTC date.
    """
    return EPOCH.date() + timedelta(days=day)


_DAY_PREFIX: dict[int, str] = {}
_HOUR_MINUTE = tuple(f"{m // 60:02d}:{m % 60:02d}:" for m in range(1440))
_SECOND = tuple(f"{s:02d}Z" for s in range(60))


def iso(seconds: int) -> str:
    """Format seconds since the epoch as ``YYYY-MM-DDTHH:MM:SSZ``.

    Args:
        seconds: Seconds since 2026-01-01T00:00:00Z.

    Returns:
        ISO-8601 UTC timestamp with second precision and a ``Z`` suffix.
    """
    day, rest = divmod(seconds, DAY)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = f"{day_date(day).isoformat()}T"
    minute, second = divmod(rest, 60)
    return prefix + _HOUR_MINUTE[minute] + _SECOND[second]


def parse_instant(text: str) -> int:
    """Parse an ISO-8601 date or date-time into seconds since the epoch.

    A bare date means its midnight UTC; a date-time without an offset is UTC.
    Fractions of a second are rounded up so ``updated_at >= since`` keeps its
    meaning at second precision.

    Args:
        text: e.g. ``2026-11-27``, ``2026-11-27T08:00:00Z`` or
            ``2026-11-27T09:00:00+01:00``.

    Returns:
        Seconds since 2026-01-01T00:00:00Z.

    Raises:
        ValueError: If ``text`` is not ISO-8601.
    """
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - EPOCH
    seconds = delta.days * DAY + delta.seconds
    return seconds + (1 if delta.microseconds else 0)


def to_instant(value: str | datetime | int | None) -> int | None:
    """Normalise an ``updated_since`` value to seconds since the epoch.

    Args:
        value: ISO-8601 text, an aware ``datetime`` (naive means UTC), seconds
            since 2026-01-01T00:00:00Z, or ``None``.

    Returns:
        Seconds since the epoch, or ``None`` when ``value`` is ``None``.

    Raises:
        ValueError: If text is not ISO-8601.
    """
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return parse_instant(value.isoformat())
    return parse_instant(value)
