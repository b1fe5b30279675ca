"""What machine a result came from: cores, memory, CPU model, versions."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _mem_total_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    pages = os.sysconf("SC_PHYS_PAGES") if hasattr(os, "sysconf") else 0
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024**3 if pages else 0.0


def machine_info() -> dict[str, str | int | float]:
    """Cores, memory, CPU model, OS and Python of this machine."""
    return {
        "cores": os.cpu_count() or 0,
        "mem_gib": round(_mem_total_gib(), 1),
        "cpu": _cpu_model(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def load_average() -> str:
    """The 1/5/15-minute load averages: a busy machine makes every figure noisier."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "n/a"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def machine_line(info: dict[str, str | int | float]) -> str:
    """One line for the header: ``2 cores, 23.5 GiB, Intel Xeon ..., Linux ..., Python 3.11``."""
    return (
        f"{info['cores']} cores, {info['mem_gib']} GiB RAM, {info['cpu']}, "
        f"{info['os']}, Python {info['python']}"
    )
