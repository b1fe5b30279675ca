"""`glueflake run | head -2` ends when head does (issue 17): it used to hang forever.

dbt's worker thread printing the per-node lines died of the broken pipe and the
main thread waited for it in dbt's queue. The process must now end promptly, with
the status a Unix tool has when its reader goes away (141, or killed by SIGPIPE).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import DemoConfig

GLUEFLAKE = Path(sys.executable).with_name("glueflake")

pytestmark = [pytest.mark.integration, pytest.mark.dbt]


def test_run_piped_into_a_reader_that_stops_after_two_lines_ends(
    tmp_path: Path, demo_config: DemoConfig
) -> None:
    config = demo_config.write(tmp_path, scale=300, day=5)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLUEFLAKE")}
    proc = subprocess.Popen(
        [str(GLUEFLAKE), "run", "-c", str(config)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    first = [proc.stdout.readline() for _ in range(2)]
    proc.stdout.close()  # as `head -2` does
    try:
        code = proc.wait(timeout=240)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail("glueflake run kept running after its stdout was closed (hang)")
    assert all(first), first
    assert code in (128 + signal.SIGPIPE, -signal.SIGPIPE, 0), code
