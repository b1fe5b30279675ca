"""Named fault-injection points: where the crash tests kill a run, off unless asked for.

Shipped code marks a point with ``failpoint(NAME)``; that is all it does. A point
fires only when a test asks for it:

- **by environment, in a child process**: ``GLUEFLAKE_FAILPOINTS=name[,name...]``. A
  named point, when reached, ends the process at once with exit code 137, as
  ``kill -9`` would: no cleanup, no rollback, no flush. ``name=N`` fires the N-th time
  the point is reached in the process (``extract.after_file_put=3``: after the third
  file). Unset (always, outside tests), no point does anything.
- **in-process**: ``with armed(NAME):`` makes reaching the point raise `FailpointHit`
  (a `BaseException`, so no ``except Exception`` swallows it), or the exception given.

The points:

- ``load.after_data_insert`` (`AFTER_DATA_INSERT`): the DuckDB loader has inserted
  the landing rows; the ledger rows are not written and the transaction is open.
- ``extract.after_file_put`` (`AFTER_FILE_PUT`): the extract has put a data file in
  the lake; the manifest that would commit it is not written yet.
- ``extract.worker_page`` (`EXTRACT_WORKER_PAGE`): an extract worker process is about
  to work a page (``extract.workers`` above 0); the process that dies is the worker.

A new point is one constant here, one line in this list, and one ``failpoint(...)``
call where the code should die.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

ENV_VAR = "GLUEFLAKE_FAILPOINTS"
AFTER_DATA_INSERT = "load.after_data_insert"
AFTER_FILE_PUT = "extract.after_file_put"
EXTRACT_WORKER_PAGE = "extract.worker_page"
POINTS = frozenset({AFTER_DATA_INSERT, AFTER_FILE_PUT, EXTRACT_WORKER_PAGE})

_armed: dict[str, BaseException | type[BaseException]] = {}
_reached: Counter[str] = Counter()


class FailpointHit(BaseException):
    """Raised at a point armed in-process with `armed` (tests only)."""


def failpoint(name: str) -> None:
    """Fail here if point `name` is armed (in-process) or named in ``GLUEFLAKE_FAILPOINTS``."""
    if name in _armed:
        raise _armed[name]
    spec = os.environ.get(ENV_VAR)
    if not spec:
        return
    _reached[name] += 1
    nth = _requested(spec).get(name)
    if nth is not None and _reached[name] >= nth:
        os._exit(137)


@contextmanager
def armed(name: str, error: BaseException | type[BaseException] | None = None) -> Iterator[None]:
    """Arm point `name` in this process: reaching it raises `error` (`FailpointHit`).

    Raises:
        ValueError: `name` is not one of `POINTS`.
    """
    if name not in POINTS:
        raise ValueError(f"unknown failpoint {name!r}; known: {', '.join(sorted(POINTS))}")
    _armed[name] = error if error is not None else FailpointHit(name)
    try:
        yield
    finally:
        _armed.pop(name, None)


def _requested(spec: str) -> dict[str, int]:
    """``a,b=3`` -> ``{"a": 1, "b": 3}``: each named point and the hit that fires it."""
    points: dict[str, int] = {}
    for item in spec.split(","):
        name, _, nth = item.strip().partition("=")
        if name:
            points[name] = int(nth) if nth.strip().isdigit() else 1
    return points
