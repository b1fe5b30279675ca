"""glueflake's own log: Python logging on stderr at the level the CLI was given."""

from __future__ import annotations

import logging

from rich.console import Console
from rich.logging import RichHandler


def setup_logging(level: str) -> None:
    """Send glueflake's log records at `level` and above to stderr.

    Args:
        level: ``debug``, ``info``, ``warning`` or ``error`` (any case).
    """
    logger = logging.getLogger("glueflake")
    logger.setLevel(level.upper())
    if not any(isinstance(h, RichHandler) for h in logger.handlers):
        handler = RichHandler(
            console=Console(stderr=True, soft_wrap=True), show_path=False, markup=False
        )
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.propagate = False
