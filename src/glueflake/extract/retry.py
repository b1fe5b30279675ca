"""Retry policy: exponential backoff with full jitter, honouring ``Retry-After``.

Built on tenacity. The clock is injectable (`sleep`, `now`, `rng`) so tests run a
whole retry sequence without waiting.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import tenacity

from glueflake.config import Retries

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 10.0**9
"""Bound of a parsed ``Retry-After`` (about 32 years): keeps absurd values finite.
The policy's own cap is `Retries.max_retry_after` (see `PageFetcher`)."""


class RetryableError(Exception):
    """One attempt failed in a way worth another try (429, 5xx, connection, timeout).

    Attributes:
        status: the HTTP status, or None for a connection/timeout error.
        retry_after: seconds the server asked us to wait, if it said.
        reason: a short description for the final error message.
    """

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


def is_retryable_status(status: int) -> bool:
    """Whether an HTTP status is worth retrying (429, 408, 425 and every 5xx)."""
    return status in RETRY_STATUSES or status >= 500


def parse_retry_after(value: str | None, now: Callable[[], datetime] | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date).

    Args:
        value: the header value, or None.
        now: clock for HTTP dates (default: the real UTC time).

    Returns:
        Non-negative seconds as the server asked (bounded by MAX_RETRY_AFTER only to
        stay finite); None if absent or unparsable.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now() if now is not None else datetime.now(UTC)
    return min(max((when - current).total_seconds(), 0.0), MAX_RETRY_AFTER)


class BackoffWait(tenacity.wait.wait_base):
    """Full-jitter exponential backoff; a server's ``Retry-After`` overrides it.

    Attempt n (1-based) waits ``rng() * min(backoff_max, initial * 2**(n-1))``.
    """

    def __init__(self, initial: float, maximum: float, rng: Callable[[], float]) -> None:
        """Backoff starting at `initial` seconds, capped at `maximum`, jittered by `rng`."""
        self.initial = initial
        self.maximum = maximum
        self.rng = rng

    def ceiling(self, attempt: int) -> float:
        """The largest wait after failed attempt number `attempt` (1-based)."""
        return min(self.maximum, self.initial * 2.0 ** max(attempt - 1, 0))

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        """Seconds to sleep before the next attempt."""
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, RetryableError) and exc.retry_after is not None:
            return float(exc.retry_after)
        return self.rng() * self.ceiling(retry_state.attempt_number)


def make_retrying(
    policy: Retries,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
) -> tenacity.Retrying:
    """A tenacity controller retrying `RetryableError` per the source's policy.

    The last `RetryableError` is re-raised when attempts run out; any other
    exception passes straight through.
    """
    return tenacity.Retrying(
        sleep=sleep,
        stop=tenacity.stop_after_attempt(policy.max_attempts),
        wait=BackoffWait(policy.backoff_initial, policy.backoff_max, rng),
        retry=tenacity.retry_if_exception_type(RetryableError),
        reraise=True,
    )
