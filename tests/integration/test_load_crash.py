"""kill -9 between the landing insert and the ledger insert: nothing is lost or doubled."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from lake_builder import LakeBuilder, lake_store, landing_count, ledger, make_config, order

from glueflake.failpoints import AFTER_DATA_INSERT, ENV_VAR
from glueflake.load import run_load

pytestmark = pytest.mark.integration

HERE = Path(__file__).parent


def load_in_subprocess(base: Path, crash: str | None) -> subprocess.CompletedProcess[str]:
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        sys.path.insert(0, {str(HERE)!r})
        from lake_builder import make_config
        from glueflake.load import run_load
        summary = run_load(make_config(Path({str(base)!r})))
        print("loaded", summary.rows_loaded)
        """
    )
    env = dict(os.environ)
    env.pop(ENV_VAR, None)
    if crash:
        env[ENV_VAR] = crash
    return subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_crash_between_data_and_ledger_insert_then_rerun_loads_exactly_once(
    tmp_path: Path,
) -> None:
    cfg = make_config(tmp_path)
    lake = LakeBuilder(lake_store(cfg))
    first = lake.extract([order(i) for i in range(300)], [order(i) for i in range(300, 350)])

    crashed = load_in_subprocess(tmp_path, AFTER_DATA_INSERT)
    assert crashed.returncode == 137, crashed.stderr
    assert "loaded" not in crashed.stdout
    assert landing_count(cfg) == 0  # the open transaction died with the process
    assert ledger(cfg) == {}

    lake.extract([order(i) for i in range(350, 360)])
    rerun = load_in_subprocess(tmp_path, None)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.split() == ["loaded", "360"]
    assert landing_count(cfg) == 360
    entries = ledger(cfg)
    assert len(entries) == 3
    assert [entries[f.key][:3] for f in first.files] == [("LOADED", 300, 300), ("LOADED", 50, 50)]

    again = run_load(cfg)
    assert again.nothing_to_load and landing_count(cfg) == 360
