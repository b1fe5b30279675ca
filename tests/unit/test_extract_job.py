"""run_extract end to end against an in-memory API (httpx.MockTransport), tmp lake."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from rich.console import Console

from glueflake.config import PipelineConfig
from glueflake.errors import ExtractError
from glueflake.extract import read_bookmark, run_extract
from glueflake.lake import LocalStore, ObjectInfo, list_manifests


class RecordingStore:
    """A LocalStore that remembers the order of every put (of data, manifests, bookmarks).

    Leases (`_state/leases/`) are taken and given back around each entity; they are
    not part of what a run commits, so they are not recorded.
    """

    def __init__(self, root: Path) -> None:
        self.inner = LocalStore(root)
        self.url = self.inner.url
        self.puts: list[str] = []

    def put(self, key: str, data: bytes, *, overwrite: bool = False) -> ObjectInfo:
        info = self.inner.put(key, data, overwrite=overwrite)
        if not key.startswith("_state/leases/"):
            self.puts.append(key)
        return info

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def get(self, key: str) -> bytes:
        return self.inner.get(key)

    def head(self, key: str) -> ObjectInfo | None:
        return self.inner.head(key)

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        return self.inner.list(prefix)

    def local_path(self, key: str) -> Path | None:
        return self.inner.local_path(key)


class Api:
    """Orders (Link header, page=N), customers (cursor) and countries (one array)."""

    def __init__(self, orders: int = 95, customers: int = 12) -> None:
        self.orders = [
            {"id": i, "updated_at": f"2026-01-{1 + i % 9:02d}T00:00:00Z", "items": [{"q": 1}]}
            for i in range(1, orders + 1)
        ]
        self.customers = [
            {"id": i, "updated_at": f"2026-02-{1 + i % 5:02d}T00:00:00Z"}
            for i in range(1, customers + 1)
        ]
        self.countries: list[dict[str, Any]] = [{"cca3": "FRA"}, {"cca3": "DEU"}]
        self.calls = 0
        self.max_page_size = 1_000  # an API serves at most this many records a page

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        p = request.url.params
        if request.url.path == "/countries":
            return httpx.Response(200, json=self.countries)
        if request.headers.get("X-API-Key") != "k":
            return httpx.Response(401)
        since = p.get("since", "")
        if request.url.path == "/orders":
            rows = [r for r in self.orders if r["updated_at"] >= since]
            page, size = int(p.get("page", "1")), min(int(p["per_page"]), self.max_page_size)
            headers = {}
            if page * size < len(rows):
                headers["Link"] = (
                    f'</orders?page={page + 1}&per_page={size}&since={since}>; rel="next", '
                    '</orders?page=1>; rel="first"'
                )
            return httpx.Response(
                200, headers=headers, json={"data": rows[(page - 1) * size : page * size]}
            )
        if request.url.path == "/customers":
            rows = [r for r in self.customers if r["updated_at"] >= since]
            start, size = int(p.get("cursor", "0")), int(p["limit"])
            more = start + size < len(rows)
            return httpx.Response(
                200,
                json={
                    "data": rows[start : start + size],
                    "next": str(start + size) if more else None,
                },
            )
        return httpx.Response(404)


CONFIG: dict[str, Any] = {
    "lake": {"url": "unused"},
    "sources": {
        "geo": {
            "base_url": "http://api.test",
            "endpoints": {
                "countries": {
                    "path": "/countries",
                    "primary_key": "cca3",
                    "write_disposition": "replace",
                }
            },
        },
        "shop": {
            "base_url": "http://api.test",
            "auth": {"type": "api_key", "key": "k"},
            "concurrency": 4,
            "endpoints": {
                "orders": {
                    "path": "/orders",
                    "records": "data",
                    "primary_key": "id",
                    "file_max_records": 40,
                    "pagination": {"type": "link_header", "page_size": 10},
                    "incremental": {"cursor_field": "updated_at", "param": "since"},
                },
                "customers": {
                    "path": "/customers",
                    "records": "data",
                    "primary_key": "id",
                    "pagination": {"type": "cursor", "cursor_path": "next", "page_size": 5},
                    "incremental": {"cursor_field": "updated_at", "param": "since"},
                },
            },
        },
    },
}


def _config(**changes: Any) -> PipelineConfig:
    raw = orjson.loads(orjson.dumps(CONFIG))
    for dotted, value in changes.items():
        node = raw
        *path, last = dotted.split("__")
        for key in path:
            node = node[key]
        node[last] = value
    return PipelineConfig.model_validate(raw)


def _committed_records(store: Any, source: str, entity: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for manifest in list_manifests(store, source, entity):
        for f in manifest.files:
            out += [orjson.loads(line) for line in gzip.decompress(store.get(f.key)).splitlines()]
    return out


def _run(api: Api, store: Any, **kw: Any) -> Any:
    return run_extract(
        _config(), progress=False, store=store, transport=httpx.MockTransport(api), **kw
    )


def test_extracts_every_endpoint_in_order(tmp_path: Path) -> None:
    api, store = Api(), LocalStore(tmp_path)
    summary = _run(api, store)
    orders = summary.result("shop", "orders")
    assert (orders.records, orders.pages, orders.files) == (95, 10, 3)
    assert summary.result("shop", "customers").records == 12
    assert summary.result("geo", "countries").records == 2
    assert _committed_records(store, "shop", "orders") == api.orders
    assert _committed_records(store, "shop", "customers") == api.customers
    assert summary.records == 95 + 12 + 2
    assert orders.bookmark_before is None
    assert orders.bookmark_after == "2026-01-09T00:00:00Z"
    bookmark = read_bookmark(store, "shop", "orders")
    assert bookmark is not None
    assert sorted(bookmark.ids) == [r["id"] for r in api.orders if r["id"] % 9 == 8]


def test_manifest_after_its_file_and_bookmark_last(tmp_path: Path) -> None:
    api, store = Api(), RecordingStore(tmp_path)
    run_extract(
        _config(),
        only=["shop.orders"],
        progress=False,
        store=store,
        transport=httpx.MockTransport(api),
    )
    kinds = [
        "data" if k.endswith(".ndjson.gz") else "manifest" if "/_manifests/" in k else "bookmark"
        for k in store.puts
    ]
    assert kinds == ["data", "manifest"] * 3 + ["bookmark"]
    for data, manifest in zip(store.puts[0::2], store.puts[1::2], strict=False):
        if manifest.startswith("_state"):
            break
        assert data.rsplit("/", 1)[1].removesuffix(".ndjson.gz") == manifest.rsplit("/", 1)[
            1
        ].removesuffix(".json")
    bookmark = read_bookmark(store, "shop", "orders")
    assert bookmark is not None and bookmark.manifest == store.puts[-2]


def test_second_run_writes_nothing_and_keeps_bookmarks(tmp_path: Path) -> None:
    api, store = Api(), RecordingStore(tmp_path)
    _run(api, store)
    before = list(store.puts)
    summary = _run(api, store)
    assert store.puts == before  # not a single object written
    assert summary.records == 0
    assert summary.result("geo", "countries").skipped_unchanged
    orders = summary.result("shop", "orders")
    assert orders.bookmark_after == orders.bookmark_before
    assert orders.dropped_at_bookmark == len([r for r in api.orders if r["id"] % 9 == 8])


def test_changes_upstream_are_picked_up(tmp_path: Path) -> None:
    api, store = Api(), LocalStore(tmp_path)
    _run(api, store)
    api.orders[4]["updated_at"] = "2026-03-01T00:00:00Z"
    api.orders.append({"id": 96, "updated_at": "2026-01-09T00:00:00Z", "items": []})
    api.countries.append({"cca3": "ITA"})
    summary = _run(api, store)
    orders = summary.result("shop", "orders")
    # id 5 moved forward; id 96 is new at the old bookmark instant.
    assert orders.records == 2
    assert summary.result("geo", "countries").records == 3
    assert not summary.result("geo", "countries").skipped_unchanged
    assert summary.result("shop", "customers").records == 0
    bookmark = read_bookmark(store, "shop", "orders")
    assert bookmark is not None and (bookmark.value, bookmark.ids) == ("2026-03-01T00:00:00Z", [5])


def test_a_change_within_the_cursor_precision_is_picked_up(tmp_path: Path) -> None:
    api, store = Api(), LocalStore(tmp_path)
    _run(api, store)
    at_bookmark = next(r for r in api.orders if r["updated_at"] == "2026-01-09T00:00:00Z")
    at_bookmark["items"] = [{"sku": "late"}]  # changed again in the same second
    orders = _run(api, store).result("shop", "orders")
    assert orders.records == 1 and orders.bookmark_after == orders.bookmark_before
    assert at_bookmark in _committed_records(store, "shop", "orders")
    assert _run(api, store).result("shop", "orders").records == 0


def test_an_api_capping_its_page_size_is_read_whole_and_said_so(tmp_path: Path) -> None:
    api, store = Api(), LocalStore(tmp_path)
    api.max_page_size = 7  # asked for 10 a page
    pagination = {"type": "page_number", "page_size": 10}
    summary = run_extract(
        _config(sources__shop__endpoints__orders__pagination=pagination),
        only=["shop.orders"],
        progress=False,
        store=store,
        transport=httpx.MockTransport(api),
    )
    orders = summary.result("shop", "orders")
    assert orders.records == 95 and orders.page_size_served == 7
    assert _committed_records(store, "shop", "orders") == api.orders
    console = Console(record=True, width=120)
    console.print(summary)
    assert "shop.orders: the API serves 7 records a page" in console.export_text()


def test_bad_records_path_names_endpoint_and_path(tmp_path: Path) -> None:
    config = _config(sources__shop__endpoints__orders__records="items")
    with pytest.raises(ExtractError, match=r"shop\.orders.*'items'"):
        run_extract(
            config,
            only=["shop.orders"],
            progress=False,
            store=LocalStore(tmp_path),
            transport=httpx.MockTransport(Api()),
        )
    assert list(LocalStore(tmp_path).list("_state/")) == []


def test_wrong_key_is_401_not_retried(tmp_path: Path) -> None:
    config = _config(sources__shop__auth={"type": "api_key", "key": "wrong"})
    api = Api()
    with pytest.raises(ExtractError, match="HTTP 401") as info:
        run_extract(
            config,
            only=["shop.orders"],
            progress=False,
            store=LocalStore(tmp_path),
            transport=httpx.MockTransport(api),
        )
    assert api.calls == 1
    assert "wrong" not in str(info.value)


def test_no_output_on_stdout_and_summary_renders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = _run(Api(), LocalStore(tmp_path), run_id="20261128T000000Z-000001")
    assert capsys.readouterr().out == ""
    console = Console(record=True, width=140)
    console.print(summary)
    text = console.export_text()
    for name in ("shop.orders", "shop.customers", "geo.countries", "total", "95", "109"):
        assert name in text


def test_progress_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_extract(
        _config(), progress=True, store=LocalStore(tmp_path), transport=httpx.MockTransport(Api())
    )
    assert capsys.readouterr().out == ""


def test_progress_counts_match_the_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The progress counts records written, as the summary does (issue 17).

    Before, it counted records fetched: a second run showed the records served again
    at the bookmark instant (and dropped) while the summary said 0.
    """
    import io

    import glueflake.extract.job
    from glueflake.extract.progress import ExtractProgress

    out = io.StringIO()

    def progress(enabled: bool) -> ExtractProgress:
        console = Console(file=out, force_terminal=False, width=200)
        return ExtractProgress(enabled, console, heartbeat=0.0)

    monkeypatch.setattr(glueflake.extract.job, "ExtractProgress", progress)
    api, store = Api(), LocalStore(tmp_path)
    for _ in range(2):
        out.seek(0), out.truncate()
        summary = run_extract(
            _config(), only=["shop.orders"], store=store, transport=httpx.MockTransport(api)
        )
        lines = [x for x in out.getvalue().splitlines() if x.startswith("extract shop.orders:")]
        orders = summary.result("shop", "orders")
        assert lines[-1].startswith(
            f"extract shop.orders: {orders.records:,} records, {orders.pages:,} pages"
        )
    assert orders.records == 0 and orders.dropped_at_bookmark > 0
