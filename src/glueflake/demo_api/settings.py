"""Settings of one demo API world: seed, size, simulated day and hour, key, fault injection."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from glueflake.demo_api.clock import default_day, hour_end

DEFAULT_API_KEY = "glueflake-demo-key"
"""Key accepted by a server started without an explicit ``api_key``."""

MAX_SCALE = 1_000_000_000
FAULT_KINDS = ("500", "429", "reset", "truncated", "slow")
"""The faults `DemoSettings.fault_rate` injects, one drawn at random per faulty request."""


class DemoSettings(BaseModel):
    """Everything that determines what the demo API serves.

    Two servers with equal settings serve byte-identical responses.

    Attributes:
        seed: Seed of every pseudo-random choice.
        scale: Number of orders that exist at the end of the reference day (day 0,
            2026-01-01); customers are ``max(100, scale // 10)``.
        day: Simulated day (0 is 2026-01-01); ``None`` means today (UTC), resolved
            once when the settings are created.
        hour: Time of day of the simulated clock: the API serves the world as it
            stands at the end of hour ``hour`` of ``day`` (everything that happened
            up to ``day``'s ``hour - 1``:59:59). 24, the default, is the end of the
            day; countries change per day only, so they ignore it.
        api_key: Value the ``X-API-Key`` header must carry on ``/api/*`` (kept out
            of ``repr`` so it never reaches a log).
        fail_every: When > 0, every Nth authorised ``/api/*`` request fails with
            429 then 503 alternately, both with ``Retry-After: 0``.
        fault_rate: Share (0-1) of authorised ``/api/*`` requests, drawn at random,
            that meet one fault of `FAULT_KINDS`: HTTP 500, HTTP 429 with
            ``Retry-After: 1``, the connection reset mid-body, the body cut short
            (fewer bytes than ``Content-Length``), or a slow body. For chaos tests;
            the faults are random, not part of the world the settings determine.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(default=42, ge=0, lt=2**63)
    scale: int = Field(default=20_000, ge=1, le=MAX_SCALE)
    day: int | None = Field(default=None, ge=0, le=100_000)
    hour: int = Field(default=24, ge=1, le=24)
    api_key: str = Field(default=DEFAULT_API_KEY, min_length=1, repr=False)
    fail_every: int = Field(default=0, ge=0)
    fault_rate: float = Field(default=0.0, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _resolve_day(self) -> DemoSettings:
        if self.day is None:
            object.__setattr__(self, "day", default_day())
        return self

    @property
    def today(self) -> int:
        """The simulated day as an ``int`` (never ``None`` once constructed)."""
        assert self.day is not None
        return self.day

    @property
    def now(self) -> int:
        """The instant served, in seconds since 2026-01-01T00:00:00Z.

        The last second of hour ``hour`` of ``day``: nothing dated later exists yet.
        """
        return hour_end(self.today, self.hour)

    @property
    def customer_count(self) -> int:
        """Number of customers: ``max(100, scale // 10)``."""
        return max(100, self.scale // 10)
