"""Run one measured stage in a fresh subprocess and read its peak RSS.

The stage writes its result as JSON to a file, including its own peak RSS read from
``/proc/self/status`` (``VmHWM``, the high-water mark of the process's address
space since its ``exec``). ``ru_maxrss`` from ``wait4``/``getrusage`` is kept as a
cross-check only: on Linux it carries the RSS of the forked copy of the parent
from before ``exec``, so every child would report at least the harness's own size.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


class StageFailed(RuntimeError):
    """A measured stage exited non-zero or wrote no result."""


@dataclass
class StageRun:
    """A finished stage: its own result, wall time of the process and peak RSS."""

    result: dict[str, Any]
    wall_s: float
    peak_rss_mb: float


def run_stage(
    argv: Sequence[str],
    *,
    out: Path,
    log: Path,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 6 * 3600,
) -> StageRun:
    """Run ``argv`` (which must write JSON to ``out``) and measure it.

    Args:
        argv: the command; it writes its result to ``out``.
        out: where the command writes its JSON result.
        log: stdout and stderr of the command go here.
        env: extra environment variables (added to this process's).
        timeout_s: the child is killed past this many seconds.

    Raises:
        StageFailed: non-zero exit, timeout, or no result written.
    """
    out.unlink(missing_ok=True)
    full_env = dict(os.environ)
    full_env.update(env or {})
    started = time.perf_counter()
    with log.open("ab") as sink:
        sink.write(f"\n$ {' '.join(argv)}\n".encode())
        sink.flush()
        proc = subprocess.Popen(
            list(argv), stdout=sink, stderr=subprocess.STDOUT, env=full_env, cwd=REPO
        )
        status, rusage = _wait(proc, started + timeout_s)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or not out.exists():
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise StageFailed(f"{' '.join(argv[:4])} ... exited {code}; log {log}:\n{tail}")
    result = json.loads(out.read_text(encoding="utf-8"))
    result["_ru_maxrss_mb"] = rusage.ru_maxrss / 1024
    peak = result.get("_peak_rss_mb") or rusage.ru_maxrss / 1024
    return StageRun(result=result, wall_s=wall, peak_rss_mb=float(peak))


def _wait(proc: subprocess.Popen[bytes], deadline: float) -> tuple[int, Any]:
    """Reap the child with wait4 (its own rusage), killing it past the deadline."""
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return status, rusage
        if time.perf_counter() > deadline:
            proc.kill()
            _, status, rusage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return status, rusage
        time.sleep(0.02)


def peak_rss_mb() -> float | None:
    """This process's peak RSS in MB (``VmHWM``), None where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def write_result(path: Path | str, result: Mapping[str, Any]) -> None:
    """Stage side: write the JSON result the parent reads, with this process's peak RSS."""
    data = {**result, "_peak_rss_mb": peak_rss_mb()}
    Path(path).write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
