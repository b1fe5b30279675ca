"""The extract job: every selected endpoint, page by page, into the lake.

Per entity the order of writes is fixed, and it is what makes a crash harmless:
data file, then its manifest (commit), file after file; the bookmark last, only after
the final manifest of the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx

from glueflake.config import Endpoint, PipelineConfig, Source
from glueflake.extract.decode import PageDecoder
from glueflake.extract.demo import source_base_url
from glueflake.extract.http import PageFetcher, make_client
from glueflake.extract.incremental import CursorTracker, read_bookmark, write_bookmark
from glueflake.extract.pages import iter_pages
from glueflake.extract.pagination import make_paginator
from glueflake.extract.progress import EndpointProgress, ExtractProgress
from glueflake.extract.summary import EntityResult, ExtractSummary
from glueflake.extract.writer import BatchWriter
from glueflake.lake.layout import new_run_id
from glueflake.lake.manifest import latest_manifest
from glueflake.lake.store import ObjectStore, open_lake


@dataclass(frozen=True)
class _RunContext:
    store: ObjectStore
    run_id: str
    ingest_date: date
    sleep: Callable[[float], None]


def _param_text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
        tracker = CursorTracker(endpoint.incremental, endpoint.primary_key, bookmark, where)
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
        body_fields=paginator.body_fields,
        where=where,
    )
    fetch = PageFetcher(client, source, where=where, decode=decode, sleep=ctx.sleep)
    start = httpx.URL(base_url + endpoint.path).copy_merge_params(params)
    try:
        for page in iter_pages(fetch, paginator, start, window=source.concurrency):
            keep, cursors = None, None
            if tracker is not None:
                keep, cursors = tracker.filter(page.decoded.fields, page.decoded.lines)
            kept = page.count if keep is None else keep.count(True)
            writer.add_block(page.decoded.ndjson(keep), kept, cursors)
            result.pages += 1
            task.advance(page.count)
    except BaseException:
        writer.discard()
        raise
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
        ExtractError: an endpoint failed after retries, or served something unusable.
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
    )
    summary = ExtractSummary(run_id=ctx.run_id)
    by_source: dict[str, list[str]] = {}
    for source_name, entity in selected:
        by_source.setdefault(source_name, []).append(entity)
    with ExtractProgress(progress) as bars:
        for source_name, entities in by_source.items():
            source = config.sources[source_name]
            with (
                source_base_url(config, source) as base_url,
                make_client(source, transport, base_url=base_url) as client,
            ):
                for entity in entities:
                    summary.results.append(
                        _extract_endpoint(
                            ctx,
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
