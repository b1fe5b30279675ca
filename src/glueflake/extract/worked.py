"""What a worker process made of one page (`glueflake.extract.workers`).

Its own module, so that `http.Page` can carry it without `http` importing the
workers, which import `http`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from glueflake.extract.incremental import PageFilter
from glueflake.extract.writer import Chunk


@dataclass(frozen=True)
class WorkedPage:
    """A page's work done in a worker, for the parent to fold in (`Page.worked`).

    Attributes:
        served: records the API served in the page.
        kept: records kept (written).
        chunk: the kept records, compressed.
        cursors: the kept records' cursor values (None: not incremental).
        span: their lowest and highest (`cursor_range`).
        filtered: the page's incremental decision (None: not incremental).
    """

    served: int
    kept: int
    chunk: Chunk
    cursors: list[Any] | None
    span: tuple[Any, Any]
    filtered: PageFilter | None
