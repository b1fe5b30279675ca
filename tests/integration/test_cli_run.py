"""The installed `glueflake` command, run as a subprocess on a pipeline in tmp.

One `glueflake run --demo-day 10` (extract from the demo API over HTTP, load into
DuckDB, dbt build) per module; `status`, `extract` and `load` then read and add to
what it left. Bad configurations get a real process too, so a traceback on stderr
would show.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from dbt_fixtures import ENTITIES, data_files, manifest_records, scalar

from glueflake.demo_api import DemoSettings, count_customers, count_orders, countries
from glueflake.lake import LocalStore

if TYPE_CHECKING:
    from conftest import DemoConfig

GLUEFLAKE = Path(sys.executable).with_name("glueflake")
SEED, SCALE, DAY = 42, 1_500, 10
SECRET = "sk-live-d0-not-print-me-4242"

pytestmark = pytest.mark.integration


@dataclass
class Proc:
    """A finished `glueflake` process."""

    args: list[str]
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def glueflake(*args: str, cwd: Path) -> Proc:
    """Run the installed command with no GLUEFLAKE_* variables from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLUEFLAKE")}
    env.pop("COLUMNS", None)
    done = subprocess.run(
        [str(GLUEFLAKE), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return Proc(list(args), done.returncode, done.stdout, done.stderr)


def _rows(text: str) -> dict[str, list[int]]:
    """Table rows by entity name, their cells as numbers ('-' as -1)."""
    names = {f"{s}.{e}" for s, e in ENTITIES}
    rows: dict[str, list[int]] = {}
    for line in text.splitlines():
        cells = line.split()
        if cells and cells[0] in names:
            rows[cells[0]] = [-1 if c == "-" else int(c.replace(",", "")) for c in cells[1:]]
    return rows


def _expected() -> dict[str, int]:
    settings = DemoSettings(seed=SEED, scale=SCALE, day=DAY)
    return {
        "restcountries.countries": len(countries(DAY)),
        "shop.customers": count_customers(settings),
        "shop.orders": count_orders(settings),
    }


@dataclass
class Pipeline:
    root: Path
    config: Path
    run: Proc

    @property
    def store(self) -> LocalStore:
        return LocalStore(self.root / "lake")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory, demo_config: DemoConfig) -> Pipeline:
    root = tmp_path_factory.mktemp("cli_run")
    # The file says day 0; --demo-day must win.
    config = demo_config.write(root, seed=SEED, scale=SCALE, day=0)
    run = glueflake("run", "--no-progress", "-c", str(config), "--demo-day", str(DAY), cwd=root)
    return Pipeline(root, config, run)


@pytest.mark.dbt
@pytest.mark.xdist_group("cli_run")
class TestRunThenStatusExtractLoad:
    def test_run_exits_0_and_prints_a_reconciling_table(self, pipeline: Pipeline) -> None:
        run = pipeline.run
        assert run.code == 0, run.output
        assert "Traceback" not in run.output
        rows = _rows(run.stdout)
        assert set(rows) == set(_expected())
        for name, expected in _expected().items():
            # extracted, loaded, rejected, lake records, landing rows, raw rows
            assert rows[name] == [expected, expected, 0, expected, expected, expected], name
        assert rows["shop.orders"][0] == SCALE + DAY * SCALE // 150
        headline = " ".join(run.stdout.split())
        tests = re.search(r"(\d+)/(\d+) tests passed", headline)
        assert tests and tests[1] == tests[2] and int(tests[1]) > 100, headline
        assert re.search(r"(\d+)/\1 models passed", headline)
        assert "failed" not in headline
        assert re.search(r"duration: extract [\d.]+s load [\d.]+s transform [\d.]+s", headline)
        # The table fits 80 columns; the lines after it are printed whole (soft
        # wrap: a terminal wraps them, a log keeps them greppable).
        lines = run.stdout.splitlines()
        build = next(i for i, line in enumerate(lines) if line.startswith("dbt build [dev]: "))
        assert max(len(line) for line in lines[:build]) <= 80
        assert "seeds passed in" in lines[build]

    def test_run_kept_everything_in_its_folder(self, pipeline: Pipeline) -> None:
        assert pipeline.run.code == 0
        names = {p.name for p in pipeline.root.iterdir()}
        assert {"lake", "warehouse.duckdb", "dbt_target", "dbt_logs"} <= names
        for (source, entity), expected in zip(ENTITIES, _expected().values(), strict=True):
            assert manifest_records(pipeline.store, source, entity) == expected
            landing = scalar(
                pipeline.root / "warehouse.duckdb",
                f"select count(*) from landing.{source}__{entity}",
            )
            assert landing == expected

    def test_status_prints_numbers_per_entity(self, pipeline: Pipeline) -> None:
        status = glueflake("status", "-c", str(pipeline.config), cwd=pipeline.root)
        assert status.code == 0, status.output
        rows = _rows(status.stdout)
        assert set(rows) == set(_expected())
        for name, expected in _expected().items():
            files, records, loaded_files, loaded_rows, rejected, landing, pending = rows[name]
            assert files == loaded_files >= 1, name
            assert records == loaded_rows == landing == expected, name
            assert rejected == pending == 0, name
        assert rows["shop.orders"][0] == 4  # 1,600 orders in files of at most 500
        # One line when every entity loaded in the same second, else one per entity.
        loads = re.findall(
            r"^last load \(UTC\)( \S+)?: (20\d\d-\d\d-\d\d [\d:]{8})$", status.stdout, re.M
        )
        assert len(loads) in (1, len(ENTITIES)), status.stdout
        assert str(pipeline.root / "lake") in " ".join(status.stdout.split())

    def test_extract_again_on_the_same_day_writes_no_new_data(self, pipeline: Pipeline) -> None:
        store = pipeline.store
        before = {(s, e): data_files(store, s, e) for s, e in ENTITIES}
        for _ in range(2):
            extract = glueflake(
                "extract",
                "--no-progress",
                "-c",
                str(pipeline.config),
                "--demo-day",
                str(DAY),
                cwd=pipeline.root,
            )
            assert extract.code == 0, extract.output
            assert "Traceback" not in extract.output
            assert {(s, e): data_files(store, s, e) for s, e in ENTITIES} == before
            lines = {line.split()[0]: line for line in extract.stdout.splitlines() if line.strip()}
            assert "nothing new" in lines["shop.orders"]
            assert "nothing new" in lines["shop.customers"]
            assert "unchanged" in lines["restcountries.countries"]

        load = glueflake("load", "--no-progress", "-c", str(pipeline.config), cwd=pipeline.root)
        assert load.code == 0, load.output
        assert "nothing to load" in load.stdout

    def test_next_day_extract_writes_only_the_changes(self, pipeline: Pipeline) -> None:
        store = pipeline.store
        before = {(s, e): data_files(store, s, e) for s, e in ENTITIES}
        extract = glueflake(
            "extract",
            "--no-progress",
            "-c",
            str(pipeline.config),
            "--demo-day",
            str(DAY + 1),
            "--only",
            "shop.orders",
            cwd=pipeline.root,
        )
        assert extract.code == 0, extract.output
        new = data_files(store, "shop", "orders") - before[("shop", "orders")]
        assert len(new) == 1
        changed = count_orders(
            DemoSettings(seed=SEED, scale=SCALE, day=DAY + 1), "2026-01-11T23:59:59Z"
        )
        assert manifest_records(store, "shop", "orders") == _expected()["shop.orders"] + changed
        # --only left the other entities alone.
        for key in (("shop", "customers"), ("restcountries", "countries")):
            assert data_files(store, *key) == before[key]


def _bad(demo_config: DemoConfig, mutate: str) -> dict[str, Any]:
    raw = demo_config(Path("."), seed=SEED, scale=SCALE, day=DAY)
    shop = raw["sources"]["shop"]
    orders = shop["endpoints"]["orders"]
    if mutate == "pagination":
        orders["pagination"] = {"type": "infinite_scroll"}
    elif mutate == "page_size":
        orders["pagination"]["page_size"] = -1
    elif mutate == "base_url":
        del shop["base_url"]
    elif mutate == "secret":
        shop["auth"]["key"] = SECRET
    return raw


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        ("pagination", "sources.shop.endpoints.orders.pagination: Input tag 'infinite_scroll'"),
        ("page_size", "sources.shop.endpoints.orders.pagination.page_size: Input should be"),
        ("base_url", "sources.shop.base_url: required field is missing"),
        ("secret", "sources.shop.auth.key: secrets must be written as ${ENV_VAR}"),
    ],
)
def test_bad_config_in_a_real_process(
    tmp_path: Path, demo_config: DemoConfig, mutate: str, field: str
) -> None:
    config = demo_config.write(tmp_path, _bad(demo_config, mutate))
    run = glueflake("run", "--no-progress", "-c", str(config), cwd=tmp_path)
    assert run.code == 2, run.output
    assert run.stdout == ""
    assert "Traceback" not in run.stderr
    assert SECRET not in run.output
    message = " ".join(run.stderr.split())
    assert message.startswith("error: ") and field in message
    assert len(run.stderr.splitlines()) <= 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipeline.yml"]


def test_unknown_only_entity_in_a_real_process(tmp_path: Path, demo_config: DemoConfig) -> None:
    config = demo_config.write(tmp_path, _bad(demo_config, "none"))
    extract = glueflake("extract", "-c", str(config), "--only", "shop.refunds", cwd=tmp_path)
    assert extract.code == 2
    assert "Traceback" not in extract.stderr
    assert " ".join(extract.stderr.split()).startswith("error: unknown entity 'shop.refunds'")
