"""``python -m bench``: options, the run, the table, the ratios line, the JSON."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from rich.console import Console

from bench.machine import load_average, machine_info, machine_line
from bench.procs import REPO
from bench.report import notes, ratios, table, to_json, write_json
from bench.runner import ChangesOutOfReach, Options, run_all
from bench.stats import CountMismatch, ratios_line


def parse(argv: list[str] | None) -> Options:
    """Command-line options."""
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "glueflake's benchmarks: extract vs a bare fetch, load vs a bare DuckDB "
            "read_ndjson CTAS, end to end vs dlt, the incremental run, peak RSS."
        ),
    )
    p.add_argument("--scale", type=int, default=200_000, help="orders (default 200,000)")
    p.add_argument("--repeat", type=int, default=3, help="measured runs per figure (median)")
    p.add_argument("--dlt-repeat", type=int, help="dlt runs (default: --repeat)")
    p.add_argument("--skip-dlt", action="store_true", help="no dlt comparison")
    p.add_argument(
        "--e2e-scale",
        type=int,
        help="also compare end to end with dlt at this many orders (the target: 1,000,000)",
    )
    p.add_argument(
        "--rss-scale",
        type=int,
        help="also run glueflake's stages once at this many orders for peak RSS (10,000,000)",
    )
    p.add_argument("--seed", type=int, default=42)
    p.add_argument(
        "--changes",
        type=float,
        default=1.0,
        help="percent of new or changed orders the incremental run brings: it runs on day 1 "
        "until the first hour bringing at least this much (default 1.0; all of day 1: ~2.6)",
    )
    p.add_argument("--no-warmup", action="store_true", help="skip the unmeasured warm-up")
    p.add_argument("--fetch-window", type=int, default=4, help="in-flight requests (info row)")
    p.add_argument("--workdir", type=Path, help="work directory (default: a new tmp dir)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument(
        "--ref",
        default="HEAD",
        help="git commit to measure (a snapshot, so edits to the shared tree can't leak into "
        "a run); 'worktree' measures the working tree as it is",
    )
    a = p.parse_args(argv)
    if a.scale < 1000 or a.repeat < 1:
        p.error("--scale must be at least 1000 and --repeat at least 1")
    if not 0 < a.changes <= 100:
        p.error("--changes must be a percentage above 0")
    return Options(
        scale=a.scale,
        repeat=a.repeat,
        dlt_repeat=a.dlt_repeat,
        skip_dlt=a.skip_dlt,
        e2e_scale=a.e2e_scale,
        rss_scale=a.rss_scale,
        seed=a.seed,
        changes=a.changes,
        warmup=not a.no_warmup,
        fetch_window=a.fetch_window,
        workdir=a.workdir,
        keep=a.keep,
        ref=a.ref,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print the table and the ratios line."""
    options = parse(argv)
    console = Console()
    if not console.is_terminal:  # piped or redirected: don't squeeze the table to 80
        console = Console(width=150)
    err = Console(stderr=True)
    machine = machine_info()
    machine["load_average_start"] = load_average()
    console.print(f"[bold]glueflake bench[/bold]  machine: {machine_line(machine)}")
    console.print(f"load average at start (1/5/15 min): {machine['load_average_start']}")
    console.print(
        f"scale {options.scale:,} orders, repeat {options.repeat}"
        + (f", e2e also at {options.e2e_scale:,}" if options.e2e_scale else "")
        + (f", peak RSS also at {options.rss_scale:,}" if options.rss_scale else "")
        + (", dlt skipped" if options.skip_dlt else "")
        + f", incremental run at >= {options.changes:g}% new or changed orders"
    )
    try:
        suites, harness = run_all(options, lambda text: err.print(f"[dim]{text}[/dim]"))
    except (CountMismatch, ChangesOutOfReach) as exc:
        err.print(f"[bold red]bench failed:[/bold red] {exc}")
        return 1
    console.print(f"code measured: glueflake @ {harness.commit}")
    machine["commit"] = harness.commit
    try:
        for suite in suites:
            console.print(table(suite))
            for line in notes(suite):
                console.print(f"  {line}")
        machine["load_average_end"] = load_average()
        console.print(
            f"load average at end (1/5/15 min): {machine['load_average_end']} "
            f"on {machine['cores']} cores"
        )
        figures = ratios(suites)
        line = ratios_line(figures)
        options_dict = {k: str(v) for k, v in dataclasses.asdict(options).items()}
        path = write_json(to_json(suites, machine, options_dict, line), REPO / ".bench")
        console.print(f"results: {path.relative_to(REPO)}")
        print(line)
        sys.stdout.flush()
    finally:
        harness.close()
    return 0
