"""The benchmark run: one demo API process, the measured stages, the checks.

For one scale (a "suite"): start one demo API process with a pre-rendering cache
(`bench.apiserver`), prepare a template workspace once (unmeasured: countries,
customers and the non-order dbt models the order models join), run an unmeasured
warm-up round, then `repeat` measured rounds. Each round starts from a copy of the
template and runs, each in a fresh subprocess: the bare fetch, glueflake's extract,
the bare DuckDB CTAS over the files glueflake wrote, glueflake's load, the dbt build
of the order models, the incremental run, and dlt. Record counts must agree between
compared sides, or the run fails.

The incremental run is a second extract+load on the next simulated day, with the
demo API's clock stopped at the first hour of that day that brings at least
``--changes`` percent new or changed orders (`plan_second_run`): a whole day brings
about 2.6 %, the first nine hours about 1 %. What that run must receive is computed
from the demo API's own functions beforehand and checked against what it got.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.apiserver import day_spec
from bench.dltenv import ensure_bench_venv
from bench.procs import REPO, StageRun, run_stage
from bench.stats import CountMismatch, check_counts

KEY_ENV = "BENCH_API_KEY"
GLUEFLAKE_KEY_ENV = "GLUEFLAKE_SHOP_API_KEY"
"""The variable pipeline.yml reads the shop API key from."""
SINCE = "2020-01-01T00:00:00Z"
"""The orders endpoint's ``incremental.initial`` in pipeline.yml: the first request's filter."""
NEXT_DAY = 1
"""The simulated day of the second (incremental) run; the first run is on day 0."""


class ChangesOutOfReach(ValueError):
    """``--changes`` asks for more than the whole next day brings."""


@dataclass(frozen=True)
class SecondRun:
    """The incremental run: day 1 until the end of hour ``hour``, and what it must get.

    Attributes:
        day: its simulated day (`NEXT_DAY`).
        hour: hours of that day that have passed (1-24).
        changes: the share of new or changed orders asked for, in percent.
        first: orders of the first run (day 0, everything).
        bookmark: the orders bookmark the first run leaves: its largest ``updated_at``.
        served: orders the API serves the second run (``updated_at >= bookmark``).
        changed: of those, the new or changed ones (``updated_at > bookmark``); the rest
            are the first run's records at the bookmark instant, which the extract drops.
    """

    day: int
    hour: int
    changes: float
    first: int
    bookmark: str
    served: int
    changed: int

    @property
    def share(self) -> float:
        """New or changed orders as a percentage of the first run's."""
        return 100 * self.changed / self.first if self.first else 0.0

    @property
    def spec(self) -> str:
        """The day spec ``bench.apiserver`` takes: ``1@9``."""
        return day_spec(self.day, self.hour)

    @property
    def label(self) -> str:
        """``day 1 until 08:59:59``."""
        from glueflake.demo_api import iso
        from glueflake.demo_api.clock import hour_end

        return f"day {self.day} until {iso(hour_end(self.day, self.hour))[11:19]}"


def plan_second_run(seed: int, scale: int, changes: float) -> SecondRun:
    """The first hour of day 1 at which at least ``changes`` % of the orders are new or changed.

    Mirrors the extract's incremental rule (pipeline.yml: ``cursor_field: updated_at``,
    no lookback): the first run's bookmark is the largest ``updated_at`` on day 0; the
    second run asks for ``updated_since=<bookmark>`` and drops only the records it
    already committed at exactly that instant, so it extracts the orders with
    ``updated_at > bookmark``. ``count_orders`` grows with the hour, so a binary search
    over the 24 hours needs at most five counts; with the bookmark's and the served count,
    the plan takes about 0.15 s a count at 1,000,000 orders and 1 s at 10,000,000.

    Raises:
        ChangesOutOfReach: even the whole of day 1 brings less than ``changes`` %.
    """
    from glueflake.demo_api import DemoSettings, count_orders, iter_orders, order_record
    from glueflake.demo_api.clock import parse_instant

    day0 = DemoSettings(seed=seed, scale=scale, day=0)
    first = count_orders(day0)
    # ids grow with created_at, so the last order is the newest and the largest
    # updated_at is at least its created_at: only orders updated since can hold it
    newest = order_record(day0, first)["created_at"]
    bookmark = max(o["updated_at"] for o in iter_orders(day0, updated_since=newest))
    after = parse_instant(bookmark) + 1

    def changed(hour: int) -> int:
        return count_orders(
            DemoSettings(seed=seed, scale=scale, day=NEXT_DAY, hour=hour), updated_since=after
        )

    def enough(hour: int) -> bool:
        return 100 * changed(hour) >= changes * first

    low, high = 1, 25  # the answer is in [low, high]; 25 stands for "not even at 24"
    while low < high:
        middle = (low + high) // 2
        if enough(middle):
            high = middle
        else:
            low = middle + 1
    if low == 25:
        raise ChangesOutOfReach(
            f"--changes {changes:g}: the whole of day {NEXT_DAY} brings only "
            f"{100 * changed(24) / first:.2f}% new or changed orders at scale {scale:,}"
        )
    at_hour = DemoSettings(seed=seed, scale=scale, day=NEXT_DAY, hour=low)
    return SecondRun(
        day=NEXT_DAY,
        hour=low,
        changes=changes,
        first=first,
        bookmark=bookmark,
        served=count_orders(at_hour, updated_since=bookmark),
        changed=changed(low),
    )


@dataclass
class Options:
    """What to measure (see ``python -m bench --help``)."""

    scale: int = 200_000
    repeat: int = 3
    dlt_repeat: int | None = None
    skip_dlt: bool = False
    e2e_scale: int | None = None
    rss_scale: int | None = None
    seed: int = 42
    changes: float = 1.0
    warmup: bool = True
    fetch_window: int = 4
    workdir: Path | None = None
    keep: bool = False
    ref: str = "HEAD"


@dataclass
class Suite:
    """Everything measured at one scale: samples per figure, plus checks and notes."""

    scale: int
    kind: str  # "full", "e2e" or "rss"
    expected_records: int = 0
    second: SecondRun | None = None
    samples: dict[str, list[float]] = field(default_factory=dict)
    rss_mb: dict[str, list[float]] = field(default_factory=dict)
    counts: dict[str, list[int]] = field(default_factory=dict)
    api: dict[str, dict[str, int]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def add(self, key: str, value: float) -> None:
        """Record one sample of a figure."""
        self.samples.setdefault(key, []).append(value)

    def add_rss(self, key: str, value: float) -> None:
        """Record one peak-RSS sample (MB) of a stage."""
        self.rss_mb.setdefault(key, []).append(value)

    def add_count(self, key: str, value: int) -> None:
        """Record what a side counted."""
        self.counts.setdefault(key, []).append(value)

    def add_api(self, key: str, delta: dict[str, int]) -> None:
        """Accumulate what the demo API's front served during a stage."""
        into = self.api.setdefault(key, {})
        for name, value in delta.items():
            into[name] = into.get(name, 0) + value


class Harness:
    """Runs suites; owns the work directory, the API key and the log."""

    def __init__(self, options: Options, say: Callable[[str], None]) -> None:
        self.options = options
        self.say = say
        root = options.workdir or Path(tempfile.mkdtemp(prefix="glueflake-bench-"))
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.log = self.root / "bench.log"
        self.api_key = secrets.token_urlsafe(24)
        self.env = {KEY_ENV: self.api_key, GLUEFLAKE_KEY_ENV: self.api_key}
        self.dlt_python: Path | None = None
        self.project, self.commit = self.snapshot(options.ref)
        if self.project != REPO:
            # Stage processes import glueflake from the snapshot: PYTHONPATH comes before
            # the editable install's path, so edits in the shared tree can't leak in.
            self.env["PYTHONPATH"] = str(self.project / "src")

    def snapshot(self, ref: str) -> tuple[Path, str]:
        """The code under test: a `git archive` of ``ref``, or the live tree (``worktree``).

        The working tree is shared and edited while a run is going; measuring a commit
        keeps every round of a run on the same code.
        """
        if ref == "worktree":
            dirty = subprocess.run(
                ["git", "-C", str(REPO), "status", "--porcelain", "--", "src", "models", "macros"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            head = subprocess.run(
                ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            return REPO, head + ("+uncommitted" if dirty else "")
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", ref],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        target = self.root / f"code-{commit}"
        if not (target / "src").exists():
            target.mkdir(parents=True, exist_ok=True)
            archive = subprocess.run(
                ["git", "-C", str(REPO), "archive", "--format=tar", commit],
                capture_output=True,
                check=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
        return target, commit

    def close(self) -> None:
        """Remove the work directory unless asked to keep it."""
        if not self.options.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    # --- the pieces -------------------------------------------------------------------

    @contextmanager
    def api(
        self, scale: int, work: Path, second: SecondRun | None = None
    ) -> Iterator[dict[int, str]]:
        """One demo API process (day 0, then the second run's day and hour) with its cache.

        Yields the fronts' URLs by simulated day. Without ``second``, the second front
        serves the whole of day 1.
        """
        later = second.spec if second else day_spec(NEXT_DAY)
        cmd = [
            sys.executable,
            "-m",
            "bench.apiserver",
            "--seed",
            str(self.options.seed),
            "--scale",
            str(scale),
            "--days",
            f"0,{later}",
            "--cache-dir",
            str(work / "api-cache"),
        ]
        with (work / "apiserver.log").open("ab") as log:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=REPO,
                env={**os.environ, **self.env},
            )
            try:
                assert proc.stdout is not None
                line = proc.stdout.readline()
                if not line:
                    raise RuntimeError(f"demo API process did not start; see {log.name}")
                by_spec = json.loads(line)["fronts"]
                yield {0: by_spec["0"], NEXT_DAY: by_spec[later]}
            finally:
                if proc.stdin:
                    proc.stdin.close()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    @staticmethod
    def api_stats(front: str) -> dict[str, int]:
        """The front's counters."""
        url = f"{front}/_bench/stats"
        with urllib.request.urlopen(url, timeout=30) as resp:  # loopback only
            stats: dict[str, int] = json.loads(resp.read())
        return stats

    def stage(
        self,
        suite: Suite | None,
        name: str,
        argv: list[str],
        work: Path,
        front: str | None = None,
    ) -> StageRun:
        """Run one stage in a fresh process; record its RSS and what the API served it."""
        before = self.api_stats(front) if front else None
        out = Path(argv[argv.index("--out") + 1])
        run = run_stage(argv, out=out, log=self.log, env=self.env)
        if suite is not None:
            suite.add_rss(name, run.peak_rss_mb)
            if front and before is not None:
                after = self.api_stats(front)
                delta = {
                    k: after[k] - before[k]
                    for k in ("requests", "hits", "misses", "bytes", "records")
                }
                suite.add_api(name, delta)
                run.result["_api"] = delta
        return run

    def glueflake(self, stage: str, config: Path, work: Path) -> list[str]:
        """argv of a glueflake stage process (its result goes to ``<work>/<stage>.json``)."""
        return [
            sys.executable,
            "-m",
            "bench.stages",
            stage,
            "--config",
            str(config),
            "--work",
            str(work),
            "--out",
            str(work / f"{stage}.json"),
        ]

    def write_configs(
        self,
        run: Path,
        fronts: dict[int, str],
        work: Path,
        hours: dict[int, int] | None = None,
    ) -> dict[int, Path]:
        """The repo's pipeline.yml pointed at the fronts, a tmp lake and warehouse.

        One ``pipeline-day<N>.yml`` per front; its ``demo:`` block records the day and
        hour that front serves (the front's URL is what the sources use).
        """
        base = yaml.safe_load((self.project / "pipeline.yml").read_text(encoding="utf-8"))
        paths: dict[int, Path] = {}
        for day, url in fronts.items():
            cfg = json.loads(json.dumps(base))
            cfg["lake"] = {"url": str(run / "lake")}
            cfg["warehouse"] = {"type": "duckdb", "path": str(run / "warehouse.duckdb")}
            cfg["dbt"] = {
                "project_dir": str(self.project),
                "profiles_dir": str(self.project),
                "target": "dev",
                # `glueflake run`'s own (the no-op run's): fresh with every round's copy
                "target_path": str(run / "dbt-target"),
                "log_path": str(run / "dbt-logs"),
            }
            hour = (hours or {}).get(day, 24)
            cfg["demo"] = {"seed": self.options.seed, "scale": 1, "day": day, "hour": hour}
            for source in cfg["sources"].values():
                source["base_url"] = url
            path = work / f"pipeline-day{day}.yml"
            path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
            paths[day] = path
        return paths

    # --- a suite ----------------------------------------------------------------------

    def run_suite(self, scale: int, kind: str, repeat: int, dlt_repeat: int) -> Suite:
        """Measure at one scale; ``kind`` picks the stages (full, e2e or rss)."""
        planning = time.perf_counter()
        second = plan_second_run(self.options.seed, scale, self.options.changes)
        suite = Suite(scale=scale, kind=kind, expected_records=second.first, second=second)
        suite.info["second_run_plan_s"] = time.perf_counter() - planning
        self.say(
            f"[{kind} {scale:,}] incremental run: {second.label} brings {second.changed:,} "
            f"new or changed orders ({second.share:.2f}%, asked >= {second.changes:g}%; "
            f"planned in {suite.info['second_run_plan_s']:.1f} s)"
        )
        work = self.root / f"{kind}-{scale}"
        work.mkdir(parents=True, exist_ok=True)
        run, template = work / "run", work / "template"
        with self.api(scale, work, second) as fronts:
            configs = self.write_configs(run, fronts, work, {second.day: second.hour})
            started = time.perf_counter()
            self.say(f"[{kind} {scale:,}] setup: countries, customers, non-order dbt models")
            shutil.rmtree(run, ignore_errors=True)
            run.mkdir(parents=True)
            setup = self.stage(None, "setup", self.glueflake("setup", configs[0], work), work)
            suite.info["setup"] = setup.result
            shutil.rmtree(template, ignore_errors=True)
            shutil.copytree(run, template)
            rounds = ([False] if self.options.warmup and kind != "rss" else []) + [True] * repeat
            for index, measured in enumerate(rounds):
                label = f"round {index}" + ("" if measured else " (warm-up, not counted)")
                self.say(f"[{kind} {scale:,}] {label}")
                shutil.rmtree(run, ignore_errors=True)
                shutil.copytree(template, run)
                number = sum(rounds[:index])  # measured rounds before this one
                with_dlt = measured and number < dlt_repeat
                self.round(
                    suite if measured else None, kind, second, fronts, configs, work, with_dlt
                )
            suite.info["seconds_total"] = time.perf_counter() - started
            suite.info["api_cache"] = self.api_stats(fronts[0])
        return suite

    def round(
        self,
        suite: Suite | None,
        kind: str,
        second: SecondRun,
        fronts: dict[int, str],
        configs: dict[int, Path],
        work: Path,
        with_dlt: bool,
    ) -> None:
        """One round of every stage of this kind of suite."""
        front = fronts[0]
        start_url = f"{front}/api/orders?per_page=1000&updated_since={SINCE}"
        lake = work / "run" / "lake"
        if kind == "full":
            argv = [sys.executable, "-m", "bench.stages", "fetch", "--url", start_url]
            fetch = self.stage(
                suite, "fetch", [*argv, "--out", str(work / "fetch.json")], work, front
            )
            argv = [sys.executable, "-m", "bench.stages", "fetch-parallel", "--url", start_url]
            argv += ["--window", str(self.options.fetch_window)]
            fetch_par = self.stage(
                suite,
                "fetch_parallel",
                [*argv, "--out", str(work / "fetch_parallel.json")],
                work,
                front,
            )
        extract = self.stage(
            suite, "extract", self.glueflake("extract", configs[0], work), work, front
        )
        if kind == "full":
            argv = [sys.executable, "-m", "bench.stages", "ctas", "--lake", str(lake)]
            argv += ["--db", str(work / "ctas.duckdb"), "--out", str(work / "ctas.json")]
            ctas = self.stage(suite, "ctas", argv, work)
            (work / "ctas.duckdb").unlink(missing_ok=True)
        load = self.stage(suite, "load", self.glueflake("load", configs[0], work), work)
        sql_db = work / "sql" / "warehouse.duckdb"  # same file name: same catalog name
        if kind in ("full", "e2e"):
            shutil.rmtree(sql_db.parent, ignore_errors=True)
            sql_db.parent.mkdir(parents=True)
            shutil.copy2(work / "run" / "warehouse.duckdb", sql_db)
        dbt = self.stage(suite, "dbt", self.glueflake("dbt", configs[0], work), work)
        sql = None
        if kind in ("full", "e2e"):
            argv = [sys.executable, "-m", "bench.stages", "sql", "--target"]
            argv += [str(work / "dbt-target"), "--db", str(sql_db)]
            sql = self.stage(suite, "sql", [*argv, "--out", str(work / "sql.json")], work)
            shutil.rmtree(sql_db.parent, ignore_errors=True)
        python = self.stage(
            suite, "dbt_python", self.glueflake("dbt_python", configs[0], work), work
        )
        noop = None
        if kind in ("full", "e2e"):
            noop = self.stage(suite, "noop", self.glueflake("noop", configs[0], work), work, front)
        incremental = incremental_dbt = None
        if kind in ("full", "e2e", "rss"):
            incremental = self.stage(
                suite,
                "incremental",
                self.glueflake("incremental", configs[second.day], work),
                work,
                fronts[second.day],
            )
            argv = self.glueflake("dbt_changed", configs[second.day], work)
            argv[argv.index("--out") + 1] = str(work / "incremental_dbt.json")
            incremental_dbt = self.stage(suite, "incremental_dbt", argv, work)
        dlt = None
        if with_dlt:
            assert self.dlt_python is not None
            argv = [str(self.dlt_python), str(REPO / "bench" / "dlt_pipeline.py")]
            argv += ["--base-url", front, "--work", str(work / "dlt"), "--since", SINCE]
            argv += ["--out", str(work / "dlt.json")]
            dlt = self.stage(suite, "dlt", argv, work, front)
            shutil.rmtree(work / "dlt", ignore_errors=True)
        if suite is None:
            return

        # --- record the samples -------------------------------------------------------
        expected = suite.expected_records
        ex, ld, tr = extract.result, load.result, dbt.result
        suite.add("extract_s", ex["seconds"])
        suite.add("extract_bytes", ex["_api"]["bytes"])
        suite.add("load_s", ld["seconds"])
        suite.add("dbt_s", tr["seconds"])
        suite.add("dbt_python_s", python.result["seconds"])
        if python.result["failed"]:
            raise CountMismatch(f"Python models failed: {python.result['failed']}")
        suite.add("e2e_s", ex["seconds"] + ld["seconds"] + tr["seconds"])
        if sql is not None:
            suite.add("sql_s", sql.result["seconds"])
            suite.add("sql_models_s", sql.result["models_seconds"])
            if sql.result["models"] != tr["models"]:
                raise CountMismatch(
                    f"plain SQL ran {sql.result['models']} models, dbt built {tr['models']}"
                )
        if noop is not None:
            suite.add("noop_s", noop.result["seconds"])
            if noop.result["records"] or noop.result["rows_loaded"]:
                raise CountMismatch(f"the no-op run brought something: {noop.result}")
        suite.add_count("glueflake extract", ex["records"])
        suite.add_count("glueflake load", ld["rows_loaded"])
        suite.add_count("API served to glueflake", ex["_api"]["records"])
        counts: dict[str, int | None] = {
            "demo API count_orders": expected,
            "API served to glueflake": ex["_api"]["records"],
            "glueflake extract": ex["records"],
            "glueflake load": ld["rows_loaded"],
        }
        if kind == "full":
            suite.add("fetch_s", fetch.result["seconds"])
            suite.add("fetch_bytes", fetch.result["body_bytes"])
            suite.add("fetch_parallel_s", fetch_par.result["seconds"])
            suite.add("ctas_s", ctas.result["seconds"])
            suite.add("lake_bytes", ctas.result["lake_bytes"])
            suite.add("lake_files", ctas.result["files"])
            counts["API served to bare fetch"] = fetch.result["_api"]["records"]
            counts["API served to parallel bare fetch"] = fetch_par.result["_api"]["records"]
            counts["DuckDB CTAS"] = ctas.result["rows"]
            suite.add_count("DuckDB CTAS", ctas.result["rows"])
        if dlt is not None:
            suite.add("dlt_s", dlt.result["seconds"])
            counts["dlt orders rows"] = dlt.result["rows"]
            counts["API served to dlt"] = dlt.result["_api"]["records"]
            suite.add_count("dlt", dlt.result["rows"])
            suite.info["dlt_version"] = dlt.result["dlt_version"]
            suite.info["dlt_item_rows"] = dlt.result["item_rows"]
        check_counts(f"{suite.kind} @ {suite.scale:,} orders", counts)
        if incremental is not None:
            inc = incremental.result
            suite.add("incremental_s", inc["seconds"])
            suite.add("incremental_extract_s", inc["extract"]["seconds"])
            suite.add("incremental_load_s", inc["load"]["seconds"])
            if incremental_dbt is not None:
                inc_dbt = incremental_dbt.result["seconds"]
                suite.add("incremental_dbt_s", inc_dbt)
                first = ex["seconds"] + ld["seconds"] + tr["seconds"]
                suite.add("incremental_e2e_pct", 100 * (inc["seconds"] + inc_dbt) / first)
            suite.add("incremental_records", inc["extract"]["records"])
            suite.add("incremental_pct", 100 * inc["seconds"] / (ex["seconds"] + ld["seconds"]))
            served = inc["_api"]["records"]
            kept = inc["extract"]["records"] + inc["extract"]["dropped_at_bookmark"]
            check_counts(
                "incremental run",
                {"API served": served, "extracted + dropped at bookmark": kept},
            )
            if ex["bookmark_after"] != [second.bookmark]:
                raise CountMismatch(
                    f"first run: bookmark {ex['bookmark_after']}, but the incremental run "
                    f"was planned from {second.bookmark!r}"
                )
            check_counts(
                f"incremental run ({second.label}) vs the demo API's count_orders",
                {
                    "API served": served,
                    "count_orders(updated_since=bookmark)": second.served,
                },
            )
            check_counts(
                f"incremental run ({second.label}): new or changed orders",
                {
                    "extracted": inc["extract"]["records"],
                    "count_orders(updated_since=bookmark + 1 s)": second.changed,
                },
            )
            check_counts(
                "incremental load",
                {"extracted": inc["extract"]["records"], "loaded": inc["load"]["rows_loaded"]},
            )


def run_all(options: Options, say: Callable[[str], None]) -> tuple[list[Suite], Harness]:
    """Every suite the options ask for, in order: full, then e2e, then rss."""
    harness = Harness(options, say)
    dlt_repeat = 0 if options.skip_dlt else (options.dlt_repeat or options.repeat)
    if dlt_repeat:
        harness.dlt_python = ensure_bench_venv()
    suites = [harness.run_suite(options.scale, "full", options.repeat, dlt_repeat)]
    if options.e2e_scale and options.e2e_scale != options.scale:
        suites.append(harness.run_suite(options.e2e_scale, "e2e", options.repeat, dlt_repeat))
    if options.rss_scale:
        suites.append(harness.run_suite(options.rss_scale, "rss", 1, 0))
    return suites, harness


__all__ = [
    "ChangesOutOfReach",
    "CountMismatch",
    "Options",
    "SecondRun",
    "Suite",
    "plan_second_run",
    "run_all",
]
