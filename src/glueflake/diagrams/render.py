"""Run Graphviz's `dot` on DOT source: the one place that shells out for pictures."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from glueflake.diagrams.errors import DiagramError

DOT_PROGRAM = "dot"
_INSTALL_HINT = "install Graphviz (Debian/Ubuntu: apt-get install graphviz)"


def dot_path() -> str | None:
    """Where the Graphviz `dot` program is, or None when it is not on PATH."""
    return shutil.which(DOT_PROGRAM)


def require_dot() -> str:
    """The path of `dot`.

    Raises:
        DiagramError: `dot` is not on PATH; the message says how to install it.
    """
    found = dot_path()
    if found is None:
        raise DiagramError(f"the Graphviz program `dot` is not on PATH: {_INSTALL_HINT}")
    return found


def render_dot(source: str, out_path: Path, *, fmt: str = "png", timeout: float = 120.0) -> Path:
    """Lay out DOT source with `dot` and write the picture.

    Args:
        source: a complete DOT graph.
        out_path: file to write; its folder is created.
        fmt: any output format `dot -T` accepts (png, svg, pdf...).
        timeout: seconds before `dot` is given up on.

    Returns:
        ``out_path``.

    Raises:
        DiagramError: `dot` is missing, failed, or timed out; the message carries its
            own error output.
    """
    dot = require_dot()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [dot, f"-T{fmt}", "-o", str(out_path)],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DiagramError(f"`dot` took longer than {timeout:g}s to draw {out_path}") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
        raise DiagramError(f"`dot` could not draw {out_path}: {detail}")
    return out_path
