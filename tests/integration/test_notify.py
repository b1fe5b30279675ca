"""The config's `notify:` webhook hears about failed runs (and, if asked, every run).

A loopback HTTP server stands in for the webhook; the run itself is faked, so no
dbt runs. The webhook URL is a secret: it never appears in what the run prints.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from glueflake import extract, load, pipeline
from glueflake.cli import app
from glueflake.errors import ExtractError
from glueflake.extract import EntityResult, ExtractSummary
from glueflake.load import EntityLoadResult, LoadSummary
from glueflake.transform import BuildSummary

pytestmark = pytest.mark.integration
BUILT = BuildSummary(nodes=(), elapsed=0.1, success=True, target="dev")


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}/hooks/T0K3N", received
    finally:
        server.shutdown()
        server.server_close()


def _project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, when: str) -> None:
    config = {
        "lake": {"url": "lake"},
        "notify": {"webhook": "${HOOK_URL}", "when": when},
        "sources": {
            "shop": {
                "base_url": "http://127.0.0.1:9",
                "endpoints": {"orders": {"path": "/o", "primary_key": "id"}},
            }
        },
    }
    (tmp_path / "pipeline.yml").write_text(yaml.safe_dump(config))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOOK_URL", url)
    monkeypatch.setattr(
        extract,
        "run_extract",
        lambda c, **k: ExtractSummary("r1", [EntityResult("shop", "orders", records=5)]),
    )
    monkeypatch.setattr(
        load,
        "run_load",
        lambda c, **k: LoadSummary("l", [EntityLoadResult("shop", "orders", rows_loaded=5)]),
    )
    monkeypatch.setattr(load, "lake_status", lambda c, **k: None)


def test_a_failed_run_is_posted_and_a_good_one_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = webhook
    _project(tmp_path, monkeypatch, url, "failure")
    monkeypatch.setattr(pipeline, "transform", lambda c, **k: BUILT)
    ok = CliRunner().invoke(app, ["run", "--no-progress"])
    assert ok.exit_code == 0, ok.output
    assert received == []
    assert "T0K3N" not in ok.output

    def boom(config: Any, **kw: Any) -> Any:
        raise ExtractError("shop.orders: GET /o failed after 6 attempts")

    monkeypatch.setattr(extract, "run_extract", boom)
    failed = CliRunner().invoke(app, ["run", "--no-progress"])
    assert failed.exit_code == 1
    (posted,) = received
    assert posted["ok"] is False and "failed after 6 attempts" in posted["error"]
    assert posted["text"].startswith("glueflake run ") and "failed" in posted["text"]
    assert "T0K3N" not in failed.output


def test_always_posts_every_run_and_an_unreachable_hook_only_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = webhook
    _project(tmp_path, monkeypatch, url, "always")
    monkeypatch.setattr(pipeline, "transform", lambda c, **k: BUILT)
    CliRunner().invoke(app, ["run", "--no-progress"])
    assert [m["records_extracted"] for m in received] == [5]
    monkeypatch.setenv("HOOK_URL", "http://127.0.0.1:9/nothing-listens-here-T0K3N")
    result = CliRunner().invoke(app, ["run", "--no-progress", "--json"])
    doc = json.loads(result.stdout)
    assert "notify: the webhook could not be reached" in " ".join(doc["warnings"])
    assert "T0K3N" not in result.output
