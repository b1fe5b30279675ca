"""The bench environment: ``.bench/venv`` with dlt (and py-spy), never glueflake's.

Created on first use from ``requirements-bench.txt`` with ``python3 -m venv`` and pip;
a stamp file holding the requirements' hash makes it idempotent.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from bench.procs import REPO

BENCH_DIR = REPO / ".bench"
VENV = BENCH_DIR / "venv"
REQUIREMENTS = REPO / "requirements-bench.txt"
STAMP = VENV / ".bench-installed"


def venv_python() -> Path:
    """The bench venv's interpreter."""
    return VENV / "bin" / "python"


def ensure_bench_venv(*, quiet: bool = True) -> Path:
    """Create or update ``.bench/venv`` when requirements-bench.txt changed.

    Returns:
        The venv's python.

    Raises:
        subprocess.CalledProcessError: venv creation or the install failed.
    """
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text(encoding="utf-8").strip() == wanted:
        return venv_python()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if not venv_python().exists():
        subprocess.run(["python3", "-m", "venv", str(VENV)], check=True)
    pip = [str(venv_python()), "-m", "pip", "install", "--disable-pip-version-check"]
    if quiet:
        pip.append("--quiet")
    print("bench: installing requirements-bench.txt into .bench/venv ...", file=sys.stderr)
    subprocess.run([*pip, "-r", str(REQUIREMENTS)], check=True)
    STAMP.write_text(wanted + "\n", encoding="utf-8")
    return venv_python()


def py_spy() -> Path | None:
    """py-spy from the bench venv, if installed."""
    path = VENV / "bin" / "py-spy"
    return path if path.exists() else None
