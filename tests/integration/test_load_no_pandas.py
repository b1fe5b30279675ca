"""A load or a status check on DuckDB does not import pandas (issue 19).

DuckDB 1.5's Python client imports pandas the first time a statement binds a
parameter: 0.3-0.5 s, most of a small day's load and of `glueflake run` when nothing
changed. The DuckDB backend keeps pandas unimportable while its session is open.
The first test failed before (pandas imported by the load).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from glueflake.load.duckdb.connection import pandas_unimportable

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent  # lake_builder

SCRIPT = """
import sys
from pathlib import Path
from lake_builder import LakeBuilder, lake_store, make_config, order
from glueflake.load import lake_status, run_load

cfg = make_config(Path(sys.argv[1]))
LakeBuilder(lake_store(cfg)).extract([order(i) for i in range(3)], [order(9)])
loaded = run_load(cfg).rows_loaded
pending = sum(e.pending_files for e in lake_status(cfg).entities)
print(loaded, pending, "pandas" in sys.modules)
import pandas
print(pandas.DataFrame({"a": [1, 2]})["a"].sum())
"""


def test_a_load_and_a_status_check_leave_pandas_unimported_and_importable(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(HERE)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout.split("\n")
    assert out[0] == "4 0 False"  # 4 rows loaded, nothing pending, pandas not imported
    assert out[1] == "3"  # and pandas imports as usual afterwards


def test_pandas_imported_before_the_session_is_left_alone() -> None:
    import pandas

    with pandas_unimportable():
        assert sys.modules["pandas"] is pandas
    assert sys.modules["pandas"] is pandas


def test_pandas_is_importable_again_after_a_failing_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "pandas", raising=False)
    with pytest.raises(RuntimeError), pandas_unimportable():
        with pytest.raises(ImportError):
            import pandas  # noqa: F401
        raise RuntimeError("the load failed")
    assert "pandas" not in sys.modules
