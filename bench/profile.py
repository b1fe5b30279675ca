"""Where glueflake's extract and load spend their time: ``python -m bench.profile``.

Runs the same set-up as the benchmark (one demo API process with its pre-render
cache, a warm-up extract), then samples a fresh extract and a fresh load with
py-spy (from ``.bench/venv``; every thread, 1,000 samples a second, idle threads
excluded) and prints the hot spots: functions by self time and glueflake functions
by inclusive time, as a share of the samples taken inside the stage's work (the
interpreter's start-up and imports are left out). Raw collapsed stacks are kept
under ``.bench/profile/`` for a flame graph.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bench.dltenv import BENCH_DIR, ensure_bench_venv, py_spy
from bench.runner import Harness, Options

_FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^:()]+)(?::(?P<line>\d+))?\)$")
WORK_MARKERS = ("bench/stages.py", "glueflake/")
IMPORT_MARKERS = ("_find_and_load", "_call_with_frames_removed")


@dataclass(frozen=True)
class HotSpot:
    """One function's share of the work samples."""

    name: str
    samples: int
    share: float


def _frame_name(frame: str, *, line: bool = False) -> str:
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    where = _short(m["file"]) + (f":{m['line']}" if line and m["line"] else "")
    return f"{m['func']} ({where})"


def _short(path: str) -> str:
    for anchor in ("site-packages/", "glueflake/", "bench/"):
        if anchor in path:
            return path[path.index(anchor) + (len(anchor) if anchor == "site-packages/" else 0) :]
    return path.rsplit("/", 1)[-1]


def parse_collapsed(lines: Iterable[str]) -> list[tuple[list[str], int]]:
    """py-spy's raw output: ``frame;frame;... count`` per line (root first)."""
    stacks: list[tuple[list[str], int]] = []
    for raw in lines:
        line = raw.rstrip("\n")
        if not line.strip():
            continue
        body, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        stacks.append((body.split(";"), int(count)))
    return stacks


def work_stacks(stacks: list[tuple[list[str], int]]) -> list[tuple[list[str], int]]:
    """Keep stacks inside the stage's work: a glueflake or stage frame, not an import."""
    kept = []
    for frames, count in stacks:
        joined = ";".join(frames)
        if not any(marker in joined for marker in WORK_MARKERS):
            continue
        if any(marker in joined for marker in IMPORT_MARKERS):
            continue
        kept.append((frames, count))
    return kept


def hot_spots(
    stacks: list[tuple[list[str], int]], *, inclusive: bool, only: str | None = None, top: int = 12
) -> list[HotSpot]:
    """Functions by self (leaf) or inclusive samples, as a share of all given samples."""
    total = sum(count for _, count in stacks) or 1
    counter: Counter[str] = Counter()
    for frames, count in stacks:
        if inclusive:
            for name in {_frame_name(f) for f in frames}:
                if only is None or only in name:
                    counter[name] += count
        else:
            counter[_frame_name(frames[-1], line=True)] += count
    return [HotSpot(name, n, 100 * n / total) for name, n in counter.most_common(top)]


def markdown(title: str, spots: list[HotSpot]) -> str:
    """A small markdown table of hot spots."""
    rows = [f"**{title}**", "", "| share | samples | function |", "|---:|---:|---|"]
    rows += [f"| {s.share:.1f}% | {s.samples:,} | `{s.name}` |" for s in spots]
    return "\n".join(rows)


def report(raw: Path, stage: str) -> str:
    """Both tables for one profiled stage."""
    stacks = work_stacks(parse_collapsed(raw.read_text(encoding="utf-8").splitlines()))
    total = sum(c for _, c in stacks)
    parts = [
        f"### {stage}: {total:,} samples of work",
        "",
        markdown("self time (where the CPU is)", hot_spots(stacks, inclusive=False)),
        "",
        markdown(
            "inclusive time, glueflake functions",
            hot_spots(stacks, inclusive=True, only="glueflake/", top=15),
        ),
    ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Profile extract and load at a scale; print markdown hot-spot tables."""
    p = argparse.ArgumentParser(prog="python -m bench.profile")
    p.add_argument("--scale", type=int, default=200_000)
    p.add_argument("--rate", type=int, default=1000, help="py-spy samples per second")
    p.add_argument("--keep", action="store_true")
    p.add_argument(
        "--gil",
        action="store_true",
        help="sample only the thread holding the GIL (where Python-level time goes)",
    )
    p.add_argument("--ref", default="HEAD", help="git commit to profile, or 'worktree'")
    args = p.parse_args(argv)
    ensure_bench_venv()
    spy = py_spy()
    if spy is None:
        print("py-spy is not in .bench/venv (requirements-bench.txt)", file=sys.stderr)
        return 2
    out_dir = BENCH_DIR / "profile"
    out_dir.mkdir(parents=True, exist_ok=True)
    harness = Harness(
        Options(scale=args.scale, keep=args.keep, ref=args.ref), lambda s: print(s, file=sys.stderr)
    )
    work = harness.root / f"profile-{args.scale}"
    work.mkdir(parents=True, exist_ok=True)
    run = work / "run"
    sections: list[str] = []
    try:
        with harness.api(args.scale, work) as fronts:
            configs = harness.write_configs(run, fronts, work)
            run.mkdir(parents=True, exist_ok=True)
            harness.stage(None, "warm", harness.glueflake("extract", configs[0], work), work)
            shutil.rmtree(run)
            run.mkdir(parents=True)
            for stage in ("extract", "load"):
                raw = out_dir / f"{stage}-{args.scale}.txt"
                cmd = [str(spy), "record", "-r", str(args.rate), "-f", "raw", "-o", str(raw)]
                cmd += ["--gil"] if args.gil else []
                cmd += ["--", *harness.glueflake(stage, configs[0], work)]
                with harness.log.open("ab") as log:
                    subprocess.run(
                        cmd, check=True, stdout=log, stderr=log, env={**os.environ, **harness.env}
                    )
                sections.append(report(raw, f"{stage} @ {args.scale:,} orders"))
    finally:
        harness.close()
    print("\n\n".join(sections))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
