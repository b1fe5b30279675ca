"""``make chaos``: kill the pipeline at random, inject API faults, feed it bad input.

A standing proof of the guarantees, run on loopback in a scratch folder:

1. Kill loop. Each iteration moves the demo API's clock one simulated hour on and
   starts one of ``glueflake run``, ``extract``, ``load`` or ``load --watch`` as a
   subprocess, with ~10% of the demo API's requests meeting an injected fault (HTTP
   500, 429 with Retry-After, a connection reset mid-body, a truncated body, a slow
   body). It picks a phase the command goes through (start-up, extract, load,
   transform) and sends SIGKILL at a random point inside it, reading the phase the
   process was really in from its phase markers (``GLUEFLAKE_PHASE_FILE``). Then it
   recovers as a user would (``extract`` and/or ``load`` again) and counts a
   recovery that does not exit 0 as failed.
2. After the last iteration, one whole ``glueflake run`` at the final clock, and the
   warehouse is compared with the demo API's truth for that clock: every order and
   customer present in its latest version (``lost``), no lake line landed twice
   (``duplicated``), no file loaded twice (``files_loaded_twice``), raw rows equal
   to the truth's.
3. The catalogue of bad inputs (`bench.chaos_inputs`), each classified as error
   (one clear line), rejected (kept with its reason) or handled; one that ends any
   other way (accepted silently, a traceback, a leaked secret) counts as silent.

The last line printed is the summary (one line)::

    chaos: kills=N lost=N duplicated=N files_loaded_twice=N failed_recoveries=N
    bad_inputs=N silent=N

Not a timed test: ``python -m bench.chaos --iterations 100`` takes ~15-25 minutes on
two busy cores at the default small scale. Exit status 1 when anything but `kills`
and `bad_inputs` is non-zero.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "glueflake"
KEY = "chaos-demo-key"
FIRST_DAY = 400

PHASES: dict[str, tuple[str, ...]] = {
    "extract": ("startup", "extract"),
    "load": ("startup", "load"),
    "watch": ("startup", "load"),
    "run": ("startup", "extract", "load", "transform"),
}
KIND_WEIGHTS = {"extract": 35, "load": 25, "watch": 20, "run": 20}
DEFAULT_SECONDS = {"startup": 1.5, "extract": 3.0, "load": 1.5, "transform": 30.0}

CONFIG = """\
version: 1
lake: {{url: {work}/lake}}
warehouse: {{type: duckdb, path: {work}/warehouse.duckdb}}
demo: {{seed: {seed}, scale: {scale}, day: {day}, hour: 1}}
dbt:
  project_dir: {repo}
  profiles_dir: {repo}
  target_path: {work}/dbt-target
  log_path: {work}/dbt-logs
sources:
  restcountries:
    base_url: demo
    endpoints:
      countries: {{path: /v3.1/all, primary_key: cca3, write_disposition: replace}}
  shop:
    base_url: demo
    auth: {{type: api_key, name: X-API-Key, key: "${{GLUEFLAKE_SHOP_API_KEY}}"}}
    retries: {{max_attempts: 8, backoff_initial: 0.1, backoff_max: 1.0}}
    request_deadline: 20
    endpoints:
      customers:
        path: /api/customers
        records: data
        primary_key: id
        pagination: {{type: cursor, cursor_param: cursor, cursor_path: next_cursor,
                     limit_param: limit, page_size: {page}}}
        incremental: {{cursor_field: updated_at, param: updated_since,
                      initial: "2020-01-01T00:00:00Z"}}
      orders:
        path: /api/orders
        records: data
        primary_key: id
        file_max_records: {file_max}
        pagination: {{type: link_header, size_param: per_page, page_size: {page}}}
        incremental: {{cursor_field: updated_at, param: updated_since,
                      initial: "2020-01-01T00:00:00Z"}}
"""


@dataclass
class Tally:
    """What the harness counted."""

    kills: int = 0
    finished_before_kill: int = 0
    failed_recoveries: int = 0
    lost: int = 0
    duplicated: int = 0
    files_loaded_twice: int = 0
    bad_inputs: int = 0
    silent: int = 0
    phases: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        """The summary line (the harness's last line)."""
        return (
            f"chaos: kills={self.kills} lost={self.lost} duplicated={self.duplicated} "
            f"files_loaded_twice={self.files_loaded_twice} "
            f"failed_recoveries={self.failed_recoveries} bad_inputs={self.bad_inputs} "
            f"silent={self.silent}"
        )


class Chaos:
    """One scratch folder, one lake, one warehouse, one simulated clock."""

    def __init__(self, work: Path, *, scale: int, seed: int, fault_rate: float) -> None:
        """Write the pipeline config into `work`."""
        self.work = work
        self.scale = scale
        self.seed = seed
        self.fault_rate = fault_rate
        self.config = work / "pipeline.yml"
        self.config.write_text(
            CONFIG.format(
                work=work,
                repo=REPO,
                seed=seed,
                scale=scale,
                day=FIRST_DAY,
                page=max(50, scale // 20),
                file_max=max(100, scale // 4),
            )
        )
        self.phase_file = work / "phase.txt"
        self.hour = 0  # simulated hours since day FIRST_DAY 00:00
        self.seconds: dict[str, list[float]] = {p: [] for p in DEFAULT_SECONDS}

    @property
    def clock(self) -> tuple[int, int]:
        """(demo day, demo hour 1-24) of the current simulated hour."""
        return FIRST_DAY + self.hour // 24, self.hour % 24 + 1

    def env(self, *, faults: bool = True) -> dict[str, str]:
        """The environment of a glueflake subprocess at the current clock."""
        day, hour = self.clock
        env = dict(os.environ)
        env.update(
            {
                "GLUEFLAKE_CONFIG": str(self.config),
                "GLUEFLAKE_SHOP_API_KEY": KEY,
                "GLUEFLAKE_DEMO_DAY": str(day),
                "GLUEFLAKE_DEMO_HOUR": str(hour),
                "GLUEFLAKE_PROGRESS": "false",
                "GLUEFLAKE_WATCH_INTERVAL": "0.5",
                "GLUEFLAKE__DEMO__FAULT_RATE": str(self.fault_rate if faults else 0.0),
                "GLUEFLAKE_PHASE_FILE": str(self.phase_file),
            }
        )
        return env

    @staticmethod
    def argv(kind: str) -> list[str]:
        """The command of one kind."""
        return {
            "extract": [str(BIN), "extract"],
            "load": [str(BIN), "load"],
            "watch": [str(BIN), "load", "--watch"],
            "run": [str(BIN), "run"],
        }[kind]

    def _phase(self) -> str:
        try:
            lines = self.phase_file.read_text().split()
        except FileNotFoundError:
            return "startup"
        return lines[-1] if lines else "startup"

    def _typical(self, phase: str) -> float:
        seen = self.seconds.get(phase) or []
        return sorted(seen)[len(seen) // 2] if seen else DEFAULT_SECONDS[phase]

    def run(self, kind: str, *, faults: bool = True, timeout: float = 900) -> tuple[int, str]:
        """Run a command to its end, timing its phases; (exit status, last stderr line)."""
        self.phase_file.unlink(missing_ok=True)
        err_path = self.work / "stderr.txt"
        with err_path.open("w") as err:
            proc = subprocess.Popen(
                self.argv(kind),
                env=self.env(faults=faults),
                stdout=subprocess.DEVNULL,
                stderr=err,
                cwd=self.work,
            )
            started = time.monotonic()
            phase, since = "startup", started
            while proc.poll() is None:
                now = time.monotonic()
                if now - started > timeout:
                    proc.kill()
                    proc.wait()
                    return -9, f"{kind} timed out after {timeout:.0f} s"
                current = self._phase()
                if current != phase:
                    if phase in self.seconds:
                        self.seconds[phase].append(now - since)
                    phase, since = current, now
                time.sleep(0.02)
        if phase in self.seconds:
            self.seconds[phase].append(time.monotonic() - since)
        lines = [line for line in err_path.read_text().splitlines() if line.strip()]
        return proc.returncode, lines[-1] if lines else ""

    def kill_one(self, kind: str, rng: random.Random) -> str | None:
        """Start `kind`, SIGKILL it at a random point of a random phase; the phase hit.

        None when the command finished before the chosen moment.
        """
        self.phase_file.unlink(missing_ok=True)
        target = rng.choice(PHASES[kind])
        proc = subprocess.Popen(
            self.argv(kind),
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.work,
            start_new_session=True,
        )
        started = time.monotonic()
        if target == "startup":
            deadline = started + rng.uniform(0.05, self._typical("startup"))
        else:
            deadline = None
        while proc.poll() is None:
            now = time.monotonic()
            if deadline is None and self._phase() == target:
                deadline = now + rng.uniform(0.0, self._typical(target))
            if deadline is not None and now >= deadline:
                break
            if now - started > 300:
                break
            time.sleep(0.01)
        if proc.poll() is not None:
            return None
        phase = self._phase()
        os.killpg(proc.pid, signal.SIGKILL)  # the command and anything it started
        proc.wait()
        return phase

    def recover(self, kind: str) -> tuple[bool, str]:
        """Bring the lake and the warehouse up to date again after a kill."""
        steps = ["extract", "load"] if kind in ("extract", "run") else ["load"]
        for step in steps:
            code, last = self.run(step)
            if code != 0:
                return False, f"{step} after a killed {kind}: exit {code}: {last}"
        return True, ""


def truth(scale: int, seed: int, day: int, hour: int) -> dict[str, dict[Any, str]]:
    """The demo API's records at a clock: per entity, id -> updated_at."""
    from glueflake.demo_api import DemoSettings
    from glueflake.demo_api.customers import iter_customers
    from glueflake.demo_api.orders import iter_orders

    settings = DemoSettings(seed=seed, scale=scale, day=day, hour=hour)
    return {
        "orders": {r["id"]: r["updated_at"] for r in iter_orders(settings)},
        "customers": {r["id"]: r["updated_at"] for r in iter_customers(settings)},
    }


def compare(chaos: Chaos, tally: Tally, *, raw: bool = True) -> None:
    """The warehouse against the demo API's truth at the final clock (raw: dbt's too)."""
    import duckdb

    from glueflake.lake import LocalStore, list_manifests

    day, hour = chaos.clock
    expected = truth(chaos.scale, chaos.seed, day, hour)
    con = duckdb.connect(str(chaos.work / "warehouse.duckdb"), read_only=True)
    try:
        for entity, want in expected.items():
            table = f"landing.shop__{entity}"
            got = dict(
                con.execute(
                    f"select (record->>'id')::bigint, max(record->>'updated_at') "
                    f"from {table} group by 1"
                ).fetchall()
            )
            missing = [k for k in want if k not in got]
            stale = [k for k, v in want.items() if k in got and got[k] < v]
            if missing or stale:
                tally.notes.append(
                    f"{entity}: {len(missing)} missing, {len(stale)} not in their latest "
                    f"version (e.g. {(missing or stale)[:3]})"
                )
            tally.lost += len(missing) + len(stale)
            (dupes,) = con.execute(
                f"select count(*) - count(distinct (_file_name, _file_row_number)) from {table}"
            ).fetchone() or (0,)
            tally.duplicated += int(dupes)
            if not raw:
                continue
            rows = con.execute(f"select count(*) from dev_raw.raw_shop__{entity}").fetchone()
            if rows is not None and rows[0] != len(want):
                tally.notes.append(f"raw_shop__{entity}: {rows[0]} rows, the API has {len(want)}")
                tally.lost += max(0, len(want) - rows[0])
                tally.duplicated += max(0, rows[0] - len(want))
        # One ledger row per (table, file), whatever its status: a second row is a
        # second load (only --force replaces one, and the harness never forces).
        (twice,) = con.execute(
            "select count(*) from (select table_name, file_key from _glueflake.load_history "
            "group by 1, 2 having count(*) > 1)"
        ).fetchone() or (0,)
        # And no file's landing rows outnumber its manifest's records.
        for entity in expected:
            committed = {
                f.key: f.records
                for m in list_manifests(LocalStore(chaos.work / "lake"), "shop", entity)
                for f in m.files
            }
            for key, rows in con.execute(
                f"select _file_name, count(*) from landing.shop__{entity} group by 1"
            ).fetchall():
                if rows > committed.get(key, 0):
                    twice += 1
                    tally.notes.append(
                        f"{key}: {rows} landing rows, committed {committed.get(key)}"
                    )
        tally.files_loaded_twice = int(twice)
    finally:
        con.close()


def kill_loop(
    chaos: Chaos, tally: Tally, *, iterations: int, rng: random.Random, kinds: str = ""
) -> None:
    """`iterations` kills, each on a new simulated hour, each followed by a recovery."""
    chosen = [k for k in (kinds or ",".join(KIND_WEIGHTS)).split(",") if k in KIND_WEIGHTS]
    weights = [KIND_WEIGHTS[k] for k in chosen]
    started = time.monotonic()
    attempts = 0
    while tally.kills < iterations and attempts < iterations * 3:
        attempts += 1
        chaos.hour += 1
        kind = rng.choices(chosen, weights)[0]
        phase = chaos.kill_one(kind, rng)
        if phase is None:
            tally.finished_before_kill += 1
        else:
            tally.kills += 1
            tally.phases[f"{kind}:{phase}"] += 1
        ok, why = chaos.recover(kind)
        if not ok:
            tally.failed_recoveries += 1
            tally.notes.append(why)
        print(
            f"[{time.monotonic() - started:6.0f}s] #{attempts} day {chaos.clock[0]} "
            f"hour {chaos.clock[1]:2d} {kind:7s} killed in {phase or '(finished first)'}"
            f"{'' if ok else ' RECOVERY FAILED: ' + why}",
            flush=True,
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the harness; the exit status says whether the guarantees held."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.chaos", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--iterations", type=int, default=100, help="kills to make")
    parser.add_argument("--scale", type=int, default=2000, help="demo API orders")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: tmp)")
    parser.add_argument("--skip-inputs", action="store_true", help="no bad-input catalogue")
    parser.add_argument(
        "--kinds",
        default=",".join(KIND_WEIGHTS),
        help="commands to kill, comma-separated (default: run,extract,load,watch)",
    )
    parser.add_argument(
        "--no-dbt",
        action="store_true",
        help="end with extract + load instead of a whole run; compare landing only",
    )
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="glueflake-chaos-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        chaos = Chaos(work, scale=args.scale, seed=args.seed, fault_rate=args.fault_rate)
        code, last = chaos.run("extract")  # the first hour, whole
        if code == 0:
            code, last = chaos.run("load")
        if code != 0:
            print(f"chaos: the first extract + load failed: {last}", file=sys.stderr)
            return 2
        kill_loop(chaos, tally, iterations=args.iterations, rng=rng, kinds=args.kinds)
        final = ["extract", "load"] if args.no_dbt else ["run"]
        for step in final:
            code, last = chaos.run(step)
            if code != 0:
                tally.failed_recoveries += 1
                tally.notes.append(f"the final {step} failed: {last}")
                break
        else:
            compare(chaos, tally, raw=not args.no_dbt)
        if not args.skip_inputs:
            from bench.chaos_inputs import run_catalogue

            results = run_catalogue(work / "inputs")
            for result in results:
                print(f"  {result.verdict:8s} {result.name}: {result.detail}", flush=True)
            tally.bad_inputs = len(results)
            tally.silent = sum(1 for r in results if r.verdict == "silent")
    print("phases at kill: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.phases.items())))
    if tally.finished_before_kill:
        print(f"finished before the chosen moment (not counted): {tally.finished_before_kill}")
    for note in tally.notes:
        print(f"note: {note}")
    print(tally.line(), flush=True)
    bad = (
        tally.lost
        or tally.duplicated
        or tally.files_loaded_twice
        or tally.failed_recoveries
        or tally.silent
    )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
