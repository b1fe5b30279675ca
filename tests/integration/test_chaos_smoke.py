"""`make chaos` in small: the harness runs end to end, and its catalogue holds.

The full harness (100+ kills, ~20 minutes) is not a test; this runs 2 kills of
extract/load on a tiny demo world, the final comparison with the demo API's truth,
and the whole catalogue of bad inputs, and checks the summary line.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root holds bench/

from bench.chaos import main
from bench.chaos_inputs import CASES, run_catalogue

pytestmark = pytest.mark.integration

LINE = re.compile(
    r"^chaos: kills=(\d+) lost=(\d+) duplicated=(\d+) files_loaded_twice=(\d+) "
    r"failed_recoveries=(\d+) bad_inputs=(\d+) silent=(\d+)$"
)


def test_the_harness_runs_two_kills_and_prints_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "--iterations",
            "2",
            "--scale",
            "300",
            "--kinds",
            "extract,load",
            "--no-dbt",
            "--skip-inputs",
            "--work",
            str(tmp_path / "work"),
        ]
    )
    out = capsys.readouterr().out.strip().splitlines()
    match = LINE.match(out[-1])
    assert match, out[-1]
    kills, lost, duplicated, twice, failed, _, silent = map(int, match.groups())
    assert kills == 2 and (lost, duplicated, twice, failed, silent) == (0, 0, 0, 0, 0), out
    assert code == 0


def test_every_bad_input_of_the_catalogue_is_an_error_a_reject_or_handled(
    tmp_path: Path,
) -> None:
    outcomes = run_catalogue(tmp_path)
    assert len(outcomes) == len(CASES) >= 30
    silent = [f"{o.name}: {o.detail}" for o in outcomes if o.verdict == "silent"]
    assert silent == []
    assert {o.verdict for o in outcomes} == {"error", "rejected", "handled"}
