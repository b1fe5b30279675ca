"""The loader's one crash-injection point, for tests that kill a load mid-transaction.

Set ``GLUEFLAKE_TEST_CRASH=<point>`` and the process dies with exit code 137 (as if
``kill -9``) when it reaches that point; no cleanup, no rollback, no flush. Tests that
want the same effect in-process use `simulated_crash`, which raises `SimulatedCrash`
(a `BaseException`, so no ``except Exception`` in the loader swallows it).

Points: ``after_data_insert`` (landing rows inserted, ledger row not yet, transaction
open).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

ENV_VAR = "GLUEFLAKE_TEST_CRASH"
AFTER_DATA_INSERT = "after_data_insert"
_simulated: set[str] = set()


class SimulatedCrash(BaseException):
    """Raised at a crash point armed with `simulated_crash` (tests only)."""


def crash_point(name: str) -> None:
    """Die here if this point is armed (by the environment or `simulated_crash`)."""
    if name in _simulated:
        raise SimulatedCrash(name)
    if os.environ.get(ENV_VAR) == name:
        os._exit(137)


@contextmanager
def simulated_crash(name: str) -> Iterator[None]:
    """Arm crash point `name` in this process: reaching it raises `SimulatedCrash`."""
    _simulated.add(name)
    try:
        yield
    finally:
        _simulated.discard(name)
