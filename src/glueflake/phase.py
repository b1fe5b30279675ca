"""Phase markers for chaos tests: which stage a process was in when it was killed.

When ``GLUEFLAKE_PHASE_FILE`` names a file, each stage appends its name there as it
starts (``extract``, ``load``, ``transform``, then ``done``), flushed at once, so a
harness that kills the process with SIGKILL reads the last line as the phase it
interrupted. Unset (always, outside `make chaos`), marking does nothing.
"""

from __future__ import annotations

import os

PHASE_ENV = "GLUEFLAKE_PHASE_FILE"


def mark(phase: str) -> None:
    """Record that the process enters `phase` (no-op unless ``GLUEFLAKE_PHASE_FILE`` is set)."""
    path = os.environ.get(PHASE_ENV)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(phase + "\n")
