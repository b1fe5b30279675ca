"""The extract job: every selected endpoint, page by page, into the lake.

Per entity the order of writes is fixed, and it is what makes a crash harmless:
data file, then its manifest (commit), file after file; the bookmark last, only after
the final manifest of the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import httpx
import orjson

from glueflake.config import Endpoint, PipelineConfig, Source
from glueflake.errors import ExtractError
from glueflake.extract.decode import PageDecoder
from glueflake.extract.demo import source_base_url
from glueflake.extract.http import Page, PageFetcher, make_client
from glueflake.extract.incremental import CursorTracker, read_bookmark, write_bookmark
from glueflake.extract.pages import iter_pages
from glueflake.extract.pagination import make_paginator
from glueflake.extract.progress import EndpointProgress, ExtractProgress
from glueflake.extract.summary import EntityResult, ExtractSummary
from glueflake.extract.totals import Totals, page_totals, total_fields
from glueflake.extract.workers import WorkerPool, WorkerSpec, resolve_workers, workers_apply
from glueflake.extract.writer import BatchWriter
from glueflake.lake.layout import lease_key, new_run_id, rejects_key
from glueflake.lake.lease import Lease
from glueflake.lake.manifest import latest_manifest
from glueflake.lake.store import ObjectStore, open_lake


@dataclass(frozen=True)
class _RunContext:
    store: ObjectStore
    run_id: str
    ingest_date: date
    sleep: Callable[[float], None]
    clock: datetime | None = None
    """The run's clock for cursor checks (None: a demo source's, else the real one)."""
    lease_ttl: float = 3600.0
    workers: int = 0
    """Worker processes for an endpoint's pages (0: in-process; see `workers.py`)."""


def _source_clock(config: PipelineConfig, source: Source) -> datetime:
    """The run's clock for a source: the demo API's simulated now, or the real one."""
    if source.is_demo:
        from glueflake.demo_api import DemoSettings

        settings = DemoSettings(**config.demo.model_dump())
        return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=settings.now)
    return datetime.now(UTC)


def _handle_rejects(
    tracker: CursorTracker,
    endpoint: Endpoint,
    where: str,
    url: str,
    kept: list[bytes],
) -> None:
    """Abort on a page's first rejected record, or keep the rejects for the lake."""
    for reject in tracker.rejects:
        if endpoint.on_error == "abort":
            raise ExtractError(
                f"{where}: record {reject.index + 1} of GET {url}: {reject.reason}; "
                "on_error: abort, so the run stops (the bookmark is not moved)"
            )
        kept.append(
            orjson.dumps(
                {
                    "url": url,
                    "index": reject.index,
                    "reason": reject.reason,
                    "record": reject.line.decode("utf-8", "replace"),
                }
            )
        )


def _param_text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _keep_rejects(ctx: _RunContext, result: EntityResult, rejects: list[bytes]) -> None:
    """Put the run's rejected records (with reasons) into the lake, and count them."""
    if not rejects:
        return
    key = rejects_key(result.source, result.entity, ctx.run_id)
    ctx.store.put(key, b"\n".join(rejects) + b"\n")
    result.rejected, result.rejects_key = len(rejects), key
    result.reject_reason = orjson.loads(rejects[0])["reason"]


def _report_progress(
    task: EndpointProgress, page: Page, kept: int, pages_before: int, totals: Totals
) -> Totals:
    """Advance `task` by a page and its records kept (what the summary counts).

    Until the API has told the endpoint's length, each page is asked for it.
    """
    if not totals.known:
        totals = page_totals(page, pages_before)
        if totals.known:
            task.totals(totals)
    task.advance(kept)
    return totals


def _take_page(
    page: Page,
    tracker: CursorTracker | None,
    writer: BatchWriter,
    endpoint: Endpoint,
    where: str,
    fetch: PageFetcher,
    rejects: list[bytes],
) -> int:
    """Apply the incremental rule to a page and queue its records; returns how many kept.

    A page worked in a worker process (`Page.worked`) brings its decision and its
    compressed records: only the run's tracking is folded in here, in page order.
    """
    worked = page.worked
    keep, cursors = None, None
    if tracker is not None:
        if worked is not None and worked.filtered is not None:
            tracker.absorb(worked.filtered)
            cursors = worked.cursors
        else:
            keep, cursors = tracker.filter(
                page.decoded.fields, page.decoded.lines, page.decoded.content
            )
        _handle_rejects(tracker, endpoint, where, fetch.redactor.url(page.url), rejects)
    if worked is not None:
        writer.add_chunk(worked.chunk, worked.kept, cursors, worked.span)
        return worked.kept
    kept = page.count if keep is None else keep.count(True)
    writer.add_block(page.decoded.ndjson(keep), kept, cursors)
    return kept


def _extract_endpoint(
    ctx: _RunContext,
    client: httpx.Client,
    base_url: str,
    source_name: str,
    source: Source,
    entity: str,
    endpoint: Endpoint,
    task: EndpointProgress,
) -> EntityResult:
    started = time.perf_counter()
    where = f"{source_name}.{entity}"
    result = EntityResult(source=source_name, entity=entity)
    params = {k: _param_text(v) for k, v in endpoint.params.items()}
    tracker: CursorTracker | None = None
    if endpoint.incremental is not None:
        bookmark = read_bookmark(ctx.store, source_name, entity)
        tracker = CursorTracker(
            endpoint.incremental, endpoint.primary_key, bookmark, where, clock=ctx.clock
        )
        result.bookmark_before = tracker.bookmark.value if tracker.bookmark else None
        result.bookmark_after = result.bookmark_before
        params[endpoint.incremental.param] = tracker.start_value

    replace = endpoint.write_disposition == "replace"
    writer = BatchWriter(
        ctx.store,
        source=source_name,
        entity=entity,
        run_id=ctx.run_id,
        ingest_date=ctx.ingest_date,
        max_records=endpoint.file_max_records,
        cursor_field=endpoint.incremental.cursor_field if endpoint.incremental else None,
        defer=replace,
    )
    paginator = make_paginator(endpoint.pagination, where)
    decode = PageDecoder(
        endpoint.records,
        record_fields=tracker.record_fields if tracker is not None else (),
        body_fields=paginator.body_fields + total_fields(endpoint.records, paginator.body_fields),
        where=where,
    )
    fetch = PageFetcher(client, source, where=where, decode=decode, sleep=ctx.sleep)
    start = httpx.URL(base_url + endpoint.path).copy_merge_params(params)
    rejects: list[bytes] = []
    totals = Totals()
    try:
        with ExitStack() as stack:
            walk: Callable[[httpx.URL], Page] = fetch
            if ctx.workers and workers_apply(endpoint):
                spec = WorkerSpec(
                    source=source,
                    base_url=base_url,
                    where=where,
                    records_path=endpoint.records,
                    body_fields=tuple(decode.body_fields),
                    endpoint=endpoint,
                    bookmark=tracker.bookmark if tracker is not None else None,
                    clock=tracker.check.clock if tracker is not None else None,
                    level=writer.level,
                )
                walk = stack.enter_context(WorkerPool(spec, ctx.workers)).fetch
            for page in iter_pages(walk, paginator, start, window=source.concurrency):
                kept = _take_page(page, tracker, writer, endpoint, where, fetch, rejects)
                totals = _report_progress(task, page, kept, result.pages, totals)
                result.pages += 1
    except BaseException:
        writer.discard()
        raise
    _keep_rejects(ctx, result, rejects)
    result.page_size_served = paginator.served

    unchanged = None
    if replace:
        latest = latest_manifest(ctx.store, source_name, entity)
        unchanged = latest.payload_sha256 if latest is not None else None
    final = writer.finish(skip_if_payload=unchanged)
    result.skipped_unchanged = replace and final is None and writer.records > 0
    if final is not None:
        result.records, result.files, result.bytes = writer.records, writer.files, writer.bytes
        if tracker is not None:
            advanced = tracker.advanced(ctx.run_id, final.key)
            if advanced is not None:
                write_bookmark(ctx.store, source_name, entity, advanced)
                result.bookmark_after = advanced.value
    if tracker is not None:
        result.dropped_at_bookmark = tracker.dropped
    task.done()
    result.seconds = time.perf_counter() - started
    return result


def run_extract(
    config: PipelineConfig,
    *,
    only: list[str] | None = None,
    progress: bool = True,
    store: ObjectStore | None = None,
    run_id: str | None = None,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ExtractSummary:
    """Extract the selected endpoints into the lake.

    Args:
        config: the pipeline configuration.
        only: ``source`` or ``source.entity`` names (default: every endpoint).
        progress: show a progress bar per endpoint (on stderr).
        store: the lake (default: opened from ``config.lake``).
        run_id: the run's id (default: a new time-sortable one).
        transport: an httpx transport to use instead of the network (tests).
        sleep: how retries wait (tests pass a fake clock).

    Returns:
        Per-endpoint counts and totals.

    Raises:
        ConfigError: `only` names an unknown source or entity.
        ExtractError: an endpoint failed after retries, or served something unusable,
            or (``on_error: abort``) a record whose cursor cannot be trusted.
        LeaseHeld: another extract of the same entity is running.
    """
    started = time.perf_counter()
    selected = config.select(only)
    if store is None:
        store = open_lake(config)
    ctx = _RunContext(
        store=store,
        run_id=run_id or new_run_id(),
        ingest_date=datetime.now(UTC).date(),
        sleep=sleep,
        # Workers make their own clients and wait with time.sleep: a test's transport
        # or clock stays in-process.
        workers=(
            resolve_workers(config.extract.workers)
            if transport is None and sleep is time.sleep
            else 0
        ),
    )
    summary = ExtractSummary(run_id=ctx.run_id)
    by_source: dict[str, list[str]] = {}
    for source_name, entity in selected:
        by_source.setdefault(source_name, []).append(entity)
    with ExtractProgress(progress) as bars:
        for source_name, entities in by_source.items():
            source = config.sources[source_name]
            source_ctx = replace(ctx, clock=_source_clock(config, source))
            with (
                source_base_url(config, source) as base_url,
                make_client(source, transport, base_url=base_url) as client,
            ):
                for entity in entities:
                    with Lease(
                        store,
                        lease_key(source_name, entity),
                        what=f"extract {source_name}.{entity}",
                        ttl=config.lake.lease_ttl,
                        run_id=ctx.run_id,
                    ):
                        summary.results.append(
                            _extract_endpoint(
                                source_ctx,
                                client,
                                base_url,
                                source_name,
                                source,
                                entity,
                                source.endpoints[entity],
                                bars.endpoint(f"{source_name}.{entity}"),
                            )
                        )
    summary.seconds = time.perf_counter() - started
    return summary
