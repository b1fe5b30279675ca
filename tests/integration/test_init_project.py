"""`glueflake init DIR` makes a project that runs out of the box (issue 17).

The new folder holds the config, the dbt project and profiles, and a Makefile;
`make demo` in it (glueflake run on the bundled demo API) extracts, loads and
builds every layer into the folder's own DuckDB file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

GLUEFLAKE = Path(sys.executable).with_name("glueflake")

pytestmark = [pytest.mark.integration, pytest.mark.dbt]


def test_init_then_make_demo_builds_every_layer(tmp_path: Path) -> None:
    project = tmp_path / "my_project"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLUEFLAKE")}
    init = subprocess.run(
        [str(GLUEFLAKE), "init", str(project)], capture_output=True, text=True, env=env, check=False
    )
    assert init.returncode == 0, init.stderr
    for name in ("pipeline.yml", "dbt_project.yml", "profiles.yml", "Makefile", ".gitignore"):
        assert (project / name).is_file(), name
    assert not any(p.is_symlink() for p in project.rglob("*"))
    assert shutil.which("make"), "make is needed for this test"
    env |= {"GLUEFLAKE__DEMO__SCALE": "300", "GLUEFLAKE__DEMO__DAY": "5"}
    demo = subprocess.run(
        ["make", "demo", f"GLUEFLAKE={GLUEFLAKE} --log-level warning"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    with duckdb.connect(str(project / ".glueflake/warehouse.duckdb"), read_only=True) as con:
        orders = con.sql("select count(*) from dev_mart.fct_orders").fetchone()
    assert orders is not None and orders[0] > 300


def test_init_refuses_a_folder_with_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    done = subprocess.run(
        [str(GLUEFLAKE), "init", str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "exists and is not an empty folder" in done.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"
