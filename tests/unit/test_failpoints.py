"""The failpoint facility: points fire only when a test names or arms them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from glueflake import failpoints
from glueflake.failpoints import AFTER_DATA_INSERT, AFTER_FILE_PUT, FailpointHit, armed, failpoint


def test_an_unnamed_point_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(failpoints.ENV_VAR, raising=False)
    failpoint(AFTER_DATA_INSERT)
    monkeypatch.setenv(failpoints.ENV_VAR, AFTER_FILE_PUT)
    failpoint(AFTER_DATA_INSERT)  # another point is named: this one stays quiet


def test_an_armed_point_raises_in_process_and_only_while_armed() -> None:
    with armed(AFTER_DATA_INSERT), pytest.raises(FailpointHit):
        failpoint(AFTER_DATA_INSERT)
    with armed(AFTER_DATA_INSERT, KeyboardInterrupt), pytest.raises(KeyboardInterrupt):
        failpoint(AFTER_DATA_INSERT)
    failpoint(AFTER_DATA_INSERT)


def test_arming_an_unknown_point_is_refused() -> None:
    with (
        pytest.raises(ValueError, match=r"unknown failpoint 'load\.nowhere'"),
        armed("load.nowhere"),
    ):
        pass


def test_the_environment_names_points_and_the_hit_that_fires() -> None:
    code = (
        "from glueflake.failpoints import failpoint\n"
        "for i in range(5):\n"
        "    print(i, flush=True)\n"
        "    failpoint('extract.after_file_put')\n"
    )
    env = {failpoints.ENV_VAR: f"{AFTER_DATA_INSERT}, {AFTER_FILE_PUT}=3"}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 137
    assert proc.stdout.split() == ["0", "1", "2"]  # died at the third hit, as kill -9
