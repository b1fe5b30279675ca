"""Extract worker processes: whole pages fetched, decoded, filtered and compressed.

With ``extract.workers`` above 0, an endpoint's pages are worked in a pool of
processes, each doing for one URL what the in-process extract does: the GET with
its retries (its own client: the source's auth, the credentials kept to the
source's origin, the same redaction), the decode, the page's part of the
incremental rule (`CursorTracker.page_filter`: the bookmark is fixed when the run
starts) and the compression of the kept records into a chunk (`compress_chunk`).
The parent still walks the pages (`iter_pages`: the next URL may come from the
response, and pages are taken strictly in order), folds each page's decision into
the run's tracking in order (`CursorTracker.absorb`), and appends the chunks to
the files; everything that makes a run safe (files, manifests, the bookmark last,
the leases) stays in the parent, so a crash of either side leaves what a crash of
the in-process extract leaves. What crosses between the processes is small: a URL
one way; the chunk (about a seventh of the body), the body values pagination
reads, the headers, the first and last record and the kept cursors the other.

Where the URLs are known ahead (page numbers, offsets, Links stepping an integer),
up to ``source.concurrency`` pages are in flight, as in-process; where each URL
comes from the page before (cursors, next URLs), the walk is sequential, with no
gain over in-process. Processes start with ``fork`` while the parent runs one
thread (cheap: no imports again), else with ``forkserver``. A worker ends itself
when the extract's process ends (a killed extract leaves no worker behind).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any, Literal

import httpx

from glueflake.config import Endpoint, Source
from glueflake.errors import ExtractError
from glueflake.extract.decode import DecodedPage, PageDecoder
from glueflake.extract.http import Page, PageFetcher, Redactor, make_client
from glueflake.extract.incremental import Bookmark, CursorTracker
from glueflake.extract.worked import WorkedPage
from glueflake.extract.writer import GZIP_LEVEL, compress_chunk, cursor_range
from glueflake.failpoints import EXTRACT_WORKER_PAGE, failpoint

WORKERS_AUTO_MIN_CPUS = 4
"""``extract.workers: auto`` starts workers only on machines with this many CPUs.

Measured on 2 shared cores (200,000 orders, 200 pages of 1,000): in-process the
extract's process spends ~4.1 ms of CPU a page; with workers the parent spends
~1.3 ms and the workers ~5.0 ms (the IPC and a second decode path cost ~50% more
CPU in all), so where the API, the parent and the workers share two CPUs the
extract is slower (1.37 s against 1.04 s, medians of 4, load ~6). A 1-CPU AWS
Glue Python shell job gets none either.
"""

WORKERS_AUTO_MAX = 4
"""The most workers ``auto`` starts (a page's work needs about 2-3 of them to keep
ahead of the parent; more only add memory)."""


def resolve_workers(setting: int | Literal["auto"], cpus: int | None = None) -> int:
    """How many worker processes ``extract.workers`` asks for on this machine.

    Args:
        setting: the config's value: a count (0: in-process) or ``"auto"``.
        cpus: the machine's CPU count (default: the CPUs this process may use).
    """
    if setting != "auto":
        return setting
    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpus = cpus or 1
    return 0 if cpus < WORKERS_AUTO_MIN_CPUS else min(cpus - 1, WORKERS_AUTO_MAX)


def workers_apply(endpoint: Endpoint) -> bool:
    """Whether an endpoint's pages can go to workers.

    Not a single-page endpoint (nothing to overlap), nor a full refresh (its payload
    hash is taken over the uncompressed records in the parent).
    """
    return endpoint.pagination.type != "single_page" and endpoint.write_disposition != "replace"


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker needs to work an endpoint's pages (sent once, when it starts).

    Attributes:
        source: the source's config (auth, retries, deadline).
        base_url: where the source is served (its origin keeps the credentials).
        where: ``source.entity``, for messages.
        records_path: the endpoint's record list path.
        body_fields: body paths the paginator and the progress totals read.
        endpoint: the endpoint's config (cursor field and primary key).
        bookmark: the bookmark the run started from (None: none, or not incremental).
        clock: the run's clock for cursor checks.
        level: the gzip level.
    """

    source: Source
    base_url: str
    where: str
    records_path: str
    body_fields: tuple[str, ...]
    endpoint: Endpoint
    bookmark: Bookmark | None
    clock: datetime | None
    level: int = GZIP_LEVEL

    def tracker(self) -> CursorTracker | None:
        """The run's cursor tracker (None: the endpoint is not incremental)."""
        inc = self.endpoint.incremental
        if inc is None:
            return None
        return CursorTracker(
            inc, self.endpoint.primary_key, self.bookmark, self.where, clock=self.clock
        )


@dataclass
class _Worker:
    fetch: PageFetcher
    tracker: CursorTracker | None
    level: int


_state: dict[str, _Worker] = {}
"""The worker process's state, under ``"worker"`` (set by `_start`)."""


def _watch_extract(alive: Connection) -> None:
    """End this worker once the extract's process is gone (killed: no orphan stays).

    Its queues never close while workers hold their ends, and a forkserver's
    children keep the forkserver alive, so nothing else would end them. Under
    ``fork`` the extract is the parent, which a worker outlives only by being
    reparented; under ``forkserver`` `alive` reads end of file once the extract's
    end of the pipe is closed (it never writes), even while it is a zombie.
    """
    parent = os.getppid()
    while os.getppid() == parent:
        if alive.poll(0.2):
            break
    os._exit(1)


def _start(spec: WorkerSpec, alive: Connection) -> None:
    threading.Thread(target=_watch_extract, args=(alive,), daemon=True).start()
    tracker = spec.tracker()
    decode = PageDecoder(
        spec.records_path,
        record_fields=tracker.record_fields if tracker is not None else (),
        body_fields=spec.body_fields,
        where=spec.where,
    )
    client = make_client(spec.source, base_url=spec.base_url)
    fetch = PageFetcher(client, spec.source, where=spec.where, decode=decode)
    _state["worker"] = _Worker(fetch=fetch, tracker=tracker, level=spec.level)


def _ends(lines: Sequence[Any]) -> list[bytes]:
    """The first and last record (what `iter_pages` compares), or none."""
    return [bytes(lines[0]), bytes(lines[-1])] if lines else []


def work_page(url: str) -> tuple[list[tuple[str, str]], dict[str, Any], list[bytes], WorkedPage]:
    """Fetch, decode, filter and compress one page (in a worker).

    Returns:
        The response headers, the body values read, the page's first and last
        record, and the work for the parent.

    Raises:
        ExtractError: as the in-process fetch and filter raise, or naming the page
            for any other failure.
    """
    state = _state["worker"]  # set by `_start` in every worker WorkerPool starts
    failpoint(EXTRACT_WORKER_PAGE)
    try:
        page = state.fetch(httpx.URL(url))
        decoded = page.decoded
        keep, cursors, filtered = None, None, None
        if state.tracker is not None:
            filtered = state.tracker.page_filter(decoded.fields, decoded.lines, decoded.content)
            keep, cursors = filtered.keep, filtered.values
        kept = page.count if keep is None else keep.count(True)
        chunk = compress_chunk(decoded.ndjson(keep), state.level)
    except ExtractError:
        raise
    except Exception as exc:  # a bug or a resource error: one line naming the page
        redactor = state.fetch.redactor
        raise ExtractError(
            f"{state.fetch.where}: GET {redactor.url(httpx.URL(url))}: the extract worker "
            f"failed: {type(exc).__name__}: {redactor.text(str(exc))}"
        ) from None
    return (
        page.headers.multi_items(),
        decoded.body,
        _ends(decoded.lines),
        WorkedPage(
            served=page.count,
            kept=kept,
            chunk=chunk,
            cursors=cursors,
            span=cursor_range(cursors),
            filtered=filtered,
        ),
    )


class WorkerPool:
    """A pool of worker processes for one endpoint; `fetch` works a page in it.

    Use as a context manager: the processes start on entry and are ended on exit.
    """

    def __init__(self, spec: WorkerSpec, workers: int) -> None:
        """Prepare `workers` processes for `spec`'s endpoint (started on entry)."""
        self.spec = spec
        self.workers = workers
        self.redactor = Redactor.for_source(spec.source)
        self._pool: ProcessPoolExecutor | None = None
        self._alive: Connection
        """The extract's end of the pipe the workers watch (see `_watch_extract`)."""

    def __enter__(self) -> WorkerPool:
        """Start the processes (``fork`` while this process runs one thread)."""
        method = "fork" if threading.active_count() == 1 else "forkserver"
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(["glueflake.extract.workers"])
        alive, self._alive = context.Pipe(duplex=False)
        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=_start,
            initargs=(self.spec, alive),
        )
        if method == "forkserver":
            # Every worker starts now (``fork`` starts them all at once anyway): one
            # started on demand while a dead worker breaks the pool is missed by the
            # pool's clean-up and waited for forever (seen with Python 3.11). Busy
            # tasks, so that no worker is idle while they are handed out.
            busy = functools.partial(time.sleep, 0.01)
            for future in [self._pool.submit(busy) for _ in range(self.workers)]:
                future.result()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """End the processes (work not started is cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._alive.close()

    def fetch(self, url: httpx.URL) -> Page:
        """Work the page at `url` in a worker and wait for it (thread-safe).

        Raises:
            ExtractError: the page failed, or its worker died, naming the page.
        """
        assert self._pool is not None, "WorkerPool is used inside its with block"
        try:
            headers, body, ends, worked = self._pool.submit(work_page, str(url)).result()
        except BrokenProcessPool as exc:
            raise self._died(url, exc) from None
        return Page(
            url=url,
            headers=httpx.Headers(headers),
            decoded=DecodedPage(lines=ends, fields={}, body=body),
            worked=worked,
        )

    def _died(self, url: httpx.URL, exc: BaseException) -> ExtractError:
        return ExtractError(
            f"{self.spec.where}: GET {self.redactor.url(url)}: an extract worker process "
            f"ended unexpectedly ({exc}); the run stops, the bookmark is not moved "
            "(extract.workers: 0 extracts in-process)"
        )
