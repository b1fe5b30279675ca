"""The extract with worker processes (``extract.workers``) against real HTTP on loopback.

With workers on, the lake must hold what it holds with them off: the same file
bytes, manifests and bookmark, pages in order, every guarantee of a crash kept.
"""

from __future__ import annotations

import gzip
import http.server
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from glueflake import failpoints
from glueflake.config import PipelineConfig
from glueflake.errors import ExtractError
from glueflake.extract import read_bookmark, run_extract
from glueflake.lake import LocalStore, ObjectStore, list_manifests

if TYPE_CHECKING:
    from conftest import DemoConfig

pytestmark = pytest.mark.integration
demo_api = pytest.importorskip("glueflake.demo_api")

from glueflake.demo_api import DemoServer, DemoSettings  # noqa: E402
from glueflake.demo_api.orders import iter_orders  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
KEY = "workers-key"
SEED, SCALE, DAY = 5, 2_000, 300
RUN = "20261203T000000Z-abcdef"


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    """One demo API serving day DAY and DAY + 1 (by the config's ``demo.day``)."""
    with DemoServer(
        DemoSettings(seed=SEED, scale=SCALE, day=DAY, api_key=KEY), host="127.0.0.1", port=0
    ) as running:
        yield running


def _raw(demo_config: DemoConfig, base_url: str, workers: int, day: int = DAY) -> dict[str, Any]:
    raw = demo_config(
        seed=SEED,
        scale=SCALE,
        day=day,
        base_url=base_url,
        api_key=KEY,
        orders_file_max_records=777,  # pages of 250 straddle files
        orders_page_size=250,
    )
    raw["extract"] = {"workers": workers}
    return raw


def _lake_state(store: ObjectStore) -> dict[str, Any]:
    """Every data file's bytes, every manifest's content and the bookmarks (their time aside)."""
    state: dict[str, Any] = {}
    for info in store.list("raw/"):
        if info.key.endswith(".ndjson.gz"):  # manifests hold their time: compared below
            state[info.key] = store.get(info.key)
    for entity in ("orders", "customers"):
        for m in list_manifests(store, "shop", entity):
            state[f"manifest {entity} {m.seq} {m.run_id}"] = (
                m.records,
                m.cursor,
                m.final,
                [(f.key, f.records, f.bytes, f.sha256) for f in m.files],
            )
        bm = read_bookmark(store, "shop", entity)
        state[f"bookmark {entity}"] = None if bm is None else (bm.value, bm.ids, bm.hashes)
    return state


def _committed(store: ObjectStore, entity: str) -> list[dict[str, Any]]:
    return [
        orjson.loads(line)
        for m in list_manifests(store, "shop", entity)
        for f in m.files
        for line in gzip.decompress(store.get(f.key)).splitlines()
    ]


def test_workers_on_and_off_write_the_same_lake(
    server: Any, demo_config: DemoConfig, tmp_path: Path
) -> None:
    base_url = str(server.base_url).rstrip("/")
    states = []
    for workers in (0, 2):
        store = LocalStore(tmp_path / f"lake-{workers}")
        for n, day in enumerate((DAY, DAY + 1, DAY + 1)):  # first run, next day, nothing new
            config = PipelineConfig.model_validate(_raw(demo_config, base_url, workers, day))
            summary = run_extract(
                config, progress=False, store=store, only=["shop"], run_id=f"{RUN}{n}"
            )
            if n == 2:
                assert summary.result("shop", "orders").records == 0
        states.append(_lake_state(store))
        assert len([k for k in states[-1] if k.endswith(".ndjson.gz")]) > 6
    assert states[0] == states[1]


def test_pages_land_in_order_across_files(
    server: Any, demo_config: DemoConfig, tmp_path: Path
) -> None:
    store = LocalStore(tmp_path / "lake")
    config = PipelineConfig.model_validate(_raw(demo_config, str(server.base_url).rstrip("/"), 3))
    summary = run_extract(config, progress=False, store=store, only=["shop.orders"])
    expected = list(iter_orders(DemoSettings(seed=SEED, scale=SCALE, day=DAY, api_key=KEY)))
    assert summary.result("shop", "orders").pages > 10
    assert _committed(store, "orders") == expected


class _Pages(http.server.BaseHTTPRequestHandler):
    """Five pages of ten items by Link header; page 3's body is not JSON."""

    def do_GET(self) -> None:
        page = int(parse_qs(urlsplit(self.path).query).get("page", ["1"])[0])
        body = (
            b"<html>oops</html>"
            if page == 3
            else orjson.dumps([{"id": page * 10 + i} for i in range(10)])
        )
        self.send_response(200)
        if page < 5:
            self.send_header("Link", f'</items?page={page + 1}&key={KEY}>; rel="next"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_a_page_a_worker_cannot_read_is_named_without_the_secret(tmp_path: Path) -> None:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        config = PipelineConfig.model_validate(
            {
                "extract": {"workers": 2},
                "sources": {
                    "api": {
                        "base_url": f"http://127.0.0.1:{httpd.server_address[1]}",
                        "auth": {"type": "api_key", "key": KEY, "name": "key", "location": "query"},
                        "endpoints": {
                            "items": {
                                "path": "/items",
                                "primary_key": "id",
                                "pagination": {"type": "link_header"},
                            }
                        },
                    }
                },
            }
        )
        store = LocalStore(tmp_path / "lake")
        with pytest.raises(ExtractError) as caught:
            run_extract(config, progress=False, store=store)
    finally:
        httpd.shutdown()
    message = str(caught.value)
    assert message.startswith("api.items: GET http://127.0.0.1:")
    assert "page=3" in message and "not JSON" in message
    assert KEY not in message
    assert not [i for i in store.list("raw/") if i.key.endswith(".json")]  # nothing committed


def _pipeline(demo_config: DemoConfig, root: Path) -> Path:
    raw = _raw(demo_config, "demo", 2, day=None)  # type: ignore[arg-type]
    raw["lake"] = {"url": str(root / "lake")}
    raw["sources"]["shop"]["auth"]["key"] = "${GLUEFLAKE_IT_KEY}"
    raw["sources"]["shop"]["endpoints"]["orders"]["file_max_records"] = 500
    return demo_config.write(root, raw)


def _extract(config: Path, failpoint: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GLUEFLAKE_IT_KEY": KEY}
    env.pop(failpoints.ENV_VAR, None)
    if failpoint is not None:
        env[failpoints.ENV_VAR] = failpoint
    args = [sys.executable, str(ROOT / "glue" / "extract_api.py"), "--config", str(config)]
    args += ["--demo-day", str(DAY), "--only", "shop.orders"]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)


def _left_running(config: Path) -> list[str]:
    """Processes still running with the config on their command line (after a grace)."""
    for _ in range(25):
        ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True)
        left = [line for line in ps.stdout.splitlines() if str(config) in line]
        if not left:
            return []
        time.sleep(0.2)
    return left


def _complete(store: ObjectStore) -> None:
    want = {r["id"]: r for r in iter_orders(DemoSettings(seed=SEED, scale=SCALE, day=DAY))}
    assert {r["id"]: r for r in _committed(store, "orders")} == want
    bm = read_bookmark(store, "shop", "orders")
    assert bm is not None and bm.value == max(r["updated_at"] for r in want.values())


def test_a_worker_that_dies_stops_the_run_naming_the_page(
    demo_config: DemoConfig, tmp_path: Path
) -> None:
    config = _pipeline(demo_config, tmp_path)
    store = LocalStore(tmp_path / "lake")
    died = _extract(config, f"{failpoints.EXTRACT_WORKER_PAGE}=3")
    assert died.returncode != 0
    assert "shop.orders: GET http://127.0.0.1:" in died.stderr
    assert "an extract worker process ended unexpectedly" in died.stderr
    assert "Traceback" not in died.stderr and KEY not in died.stdout + died.stderr
    assert read_bookmark(store, "shop", "orders") is None
    assert not any(m.final for m in list_manifests(store, "shop", "orders"))
    assert _left_running(config) == []
    done = _extract(config)
    assert done.returncode == 0, done.stderr
    _complete(store)


def test_a_killed_extract_leaves_no_worker_and_the_rerun_recovers(
    demo_config: DemoConfig, tmp_path: Path
) -> None:
    config = _pipeline(demo_config, tmp_path)
    store = LocalStore(tmp_path / "lake")
    killed = _extract(config, f"{failpoints.AFTER_FILE_PUT}=2")
    assert killed.returncode == 137, killed.stderr
    assert read_bookmark(store, "shop", "orders") is None
    assert len(list(list_manifests(store, "shop", "orders"))) == 1
    assert _left_running(config) == []
    done = _extract(config)
    assert done.returncode == 0, done.stderr
    _complete(store)
