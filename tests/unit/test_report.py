"""The run report's pieces: run history, rejects, dbt results, rendering, the docs folder."""

from __future__ import annotations

import json
import re
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import pytest

from glueflake.load.status import EntityStatus
from glueflake.report.facts import DuckDBFacts, group_rejects
from glueflake.report.gather import _freshness, read_dbt_run
from glueflake.report.model import (
    DbtRun,
    EntityReport,
    Freshness,
    ModelCount,
    RejectReason,
    Report,
    RunRecord,
    Stage,
)
from glueflake.report.render import render_report, timeline
from glueflake.report.runs import (
    ExtractCommit,
    LedgerFile,
    merge_runs,
    parse_run_file,
    read_run_files,
    reconstruct_runs,
    run_id_time,
)
from glueflake.report.serve import docs_server, server_url
from glueflake.report.site import offline_docs_page, render_runbooks

T0 = datetime(2026, 11, 28, 10, 15, tzinfo=UTC)
RUN = "20261128T101500.000Z-aaaaaa"
LOAD = "20261128T101503.000Z-bbbbbb"


def _dbt(failed: bool = False, *, end: datetime | None = None) -> DbtRun:
    results = {
        "metadata": {"generated_at": (end or T0 + timedelta(seconds=20)).isoformat()},
        "args": {"which": "build"},
        "elapsed_time": 12.0,
        "results": [
            {"unique_id": "model.p.fct_orders", "status": "success", "execution_time": 1.5},
            {
                "unique_id": "test.p.not_null_fct_orders_id.1a2b3c",
                "status": "fail" if failed else "pass",
                "execution_time": 0.1,
                "failures": 3 if failed else 0,
                "message": "Got 3 results, configured to fail if != 0" if failed else None,
            },
            {"unique_id": "seed.p.rates", "status": "success", "execution_time": 0.2},
        ],
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "run_results.json"
        path.write_text(json.dumps(results))
        run = read_dbt_run(path, names={"test.p.not_null_fct_orders_id.1a2b3c": "not_null_id"})
    assert run is not None
    return run


# --- run history ------------------------------------------------------------------


def test_run_id_time_reads_the_id_and_refuses_other_text() -> None:
    assert run_id_time("20261128T101500.042Z-3fa2c1") == T0 + timedelta(milliseconds=42)
    assert run_id_time("manual-run") is None


def test_a_run_is_pieced_together_from_manifests_ledger_and_dbt_results() -> None:
    commits = [
        ExtractCommit(RUN, "shop.orders", 1000, T0 + timedelta(seconds=2)),
        ExtractCommit(RUN, "shop.customers", 50, T0 + timedelta(seconds=1)),
    ]
    ledger = [
        LedgerFile(LOAD, RUN, "LOADED", 500, 0, T0 + timedelta(seconds=4)),
        LedgerFile(LOAD, RUN, "PARTIALLY_LOADED", 498, 2, T0 + timedelta(seconds=5)),
        LedgerFile(LOAD, RUN, "LOAD_FAILED", 0, 7, T0 + timedelta(seconds=5)),
    ]
    runs = reconstruct_runs(commits, ledger, _dbt(end=T0 + timedelta(seconds=20)))
    assert len(runs) == 1
    run = runs[0]
    assert run.run_id == RUN and run.started == T0
    assert [(s.name, s.seconds) for s in run.stages] == [
        ("extract", 2.0),
        ("load", 2.0),
        ("transform", 12.0),
    ]
    assert "1,050 records, 2 entities" in run.stages[0].detail
    # A file that did not load fails the load stage, and so the run; a partly loaded
    # one (on_error: continue) only counts its rejects.
    assert not run.stages[1].ok
    assert "9 rejected, 1 file failed or skipped" in run.stages[1].detail
    assert not run.ok
    assert run.seconds == 20.0


def test_a_load_of_no_known_extract_and_a_lone_dbt_build_are_runs_of_their_own() -> None:
    ledger = [LedgerFile(LOAD, "unknown-run", "LOADED", 5, 0, T0 + timedelta(seconds=4))]
    runs = reconstruct_runs([], ledger, _dbt(failed=True, end=T0 - timedelta(hours=1)))
    assert [r.run_id for r in runs] == ["dbt", LOAD]
    assert not runs[0].ok and "1 failed" in runs[0].stages[0].detail


def test_run_files_are_read_leniently_and_win_over_a_reconstruction(tmp_path: Path) -> None:
    runs_dir = tmp_path / "runs"
    runs_dir.mkdir()
    (runs_dir / f"{RUN}.json").write_text(
        json.dumps(
            {
                "run_id": RUN,
                "started_at": T0.isoformat(),
                "stages": {"extract": 1.5, "load": {"seconds": 0.5}, "transform": 9},
                "ok": False,
            }
        )
    )
    (runs_dir / "broken.json").write_text("{not json")
    (runs_dir / "empty.json").write_text("{}")
    from_files, problems = read_run_files(runs_dir)
    assert len(problems) == 2 and "broken.json" in problems[0] and "empty.json" in problems[1]
    run = from_files[0]
    assert run.origin == "run file"
    assert [(s.name, s.start, s.seconds) for s in run.stages] == [
        ("extract", T0, 1.5),
        ("load", T0 + timedelta(seconds=1.5), 0.5),
        ("transform", T0 + timedelta(seconds=2), 9.0),
    ]
    assert not run.ok  # the file said so; its last stage carries the failure
    rebuilt = RunRecord(RUN, T0, [Stage("extract", T0, 3.0)])
    older = RunRecord("older", T0 - timedelta(days=1), [Stage("load", T0, 1.0)])
    assert merge_runs(from_files, [rebuilt, older]) == [run, older]
    assert merge_runs(from_files, [rebuilt, older], last=1) == [run]


def test_a_run_file_with_a_list_of_stages() -> None:
    run = parse_run_file(
        {
            "stages": [
                {"name": "extract", "started_at": T0.isoformat(), "seconds": 2, "status": "ok"},
                {"stage": "load", "elapsed": 1, "status": "failed", "error": "abort at line 3"},
            ]
        },
        RUN,
    )
    assert run is not None and run.run_id == RUN and run.started == T0
    assert run.stages[1].start == T0 + timedelta(seconds=2)
    assert not run.stages[1].ok and run.stages[1].detail == "abort at line 3"


def test_a_glueflake_run_document_gives_its_stages_and_their_figures() -> None:
    doc = {
        "kind": "glueflake.run",
        "version": 1,
        "run_id": RUN,
        "started_at": T0.isoformat(),
        "finished_at": (T0 + timedelta(seconds=30)).isoformat(),
        "ok": True,
        "error": None,
        "seconds": {"extract": 2.0, "load": 1.0, "transform": 20.0},
        "extract": {"totals": {"records": 1600, "files": 4}},
        "load": {"totals": {"files_loaded": 4, "rows_loaded": 1598, "rows_rejected": 2}},
        "build": {"failed_nodes": [], "nodes": [{}, {}, {}]},
    }
    run = parse_run_file(doc, "x")
    assert run is not None and run.ok and run.run_id == RUN
    assert [(s.name, s.seconds, s.detail) for s in run.stages] == [
        ("extract", 2.0, "1,600 records"),
        ("load", 1.0, "4 files, 1,598 rows, 2 rejected"),
        ("transform", 20.0, "dbt build: 3 nodes"),
    ]
    assert run.stages[2].start == T0 + timedelta(seconds=3)


def test_a_run_that_failed_before_any_stage_is_one_failed_stage(tmp_path: Path) -> None:
    doc = {
        "kind": "glueflake.run",
        "run_id": RUN,
        "started_at": T0.isoformat(),
        "finished_at": (T0 + timedelta(seconds=4)).isoformat(),
        "ok": False,
        "error": "shop.orders: HTTP 503 after 5 attempts",
        "seconds": {},
    }
    run = parse_run_file(doc, "x")
    assert run is not None and not run.ok
    assert [(s.name, s.seconds, s.detail) for s in run.stages] == [
        ("run", 4.0, "shop.orders: HTTP 503 after 5 attempts")
    ]
    # Other documents kept beside the runs are not runs, and not problems either.
    (tmp_path / "notes.json").write_text(json.dumps({"kind": "glueflake.status"}))
    (tmp_path / f"{RUN}.json").write_text(json.dumps(doc))
    runs, problems = read_run_files(tmp_path)
    assert [r.run_id for r in runs] == [RUN] and problems == []


# --- rejects, freshness, dbt results ------------------------------------------------------


def test_rejects_group_by_reason_whatever_their_position() -> None:
    rows = [
        ("column 7: malformed JSON: Expecting value", "raw/a.ndjson.gz", 3),
        ("column 12: malformed JSON: Expecting value", "raw/b.ndjson.gz", 9),
        ("column 1: not a JSON object (got an array)", "raw/a.ndjson.gz", 5),
        ("byte 4: invalid UTF-8", "raw/c.ndjson.gz", 1),
    ]
    assert group_rejects(rows) == [
        RejectReason("malformed JSON: Expecting value", 2, "raw/a.ndjson.gz:3"),
        RejectReason("invalid UTF-8", 1, "raw/c.ndjson.gz:1"),
        RejectReason("not a JSON object (got an array)", 1, "raw/a.ndjson.gz:5"),
    ]


def test_freshness_follows_the_sources_thresholds() -> None:
    source = {
        "freshness": {
            "warn_after": {"count": 36, "period": "hour"},
            "error_after": {"count": 3, "period": "day"},
        }
    }
    now = T0
    assert _freshness(source, now - timedelta(hours=1), now) == Freshness("pass", 1.0, 36, 72)
    assert _freshness(source, now - timedelta(hours=40), now).status == "warn"
    assert _freshness(source, now - timedelta(hours=80), now).status == "error"
    assert _freshness(source, None, now) == Freshness("never", None, 36, 72)
    assert _freshness(None, now - timedelta(days=30), now).status == "pass"  # no thresholds


def test_dbt_results_list_failures_first_with_manifest_names() -> None:
    run = _dbt(failed=True)
    assert [n.name for n in run.nodes] == ["not_null_id", "fct_orders", "rates"]
    first = run.nodes[0]
    assert first.failed and first.failures == 3
    assert first.docs_url == "index.html#!/test/test.p.not_null_fct_orders_id.1a2b3c"
    assert run.failed == [first]
    assert run.passing_tests == []
    assert [n.name for n in _dbt().passing_tests] == ["not_null_id"]


def test_read_dbt_run_without_a_file_is_none(tmp_path: Path) -> None:
    assert read_dbt_run(tmp_path / "run_results.json") is None
    (tmp_path / "run_results.json").write_text("[]")
    assert read_dbt_run(tmp_path / "run_results.json") is None


def test_duckdb_facts_read_rejects_rescued_values_and_schema_history(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema _glueflake")
    con.execute(
        "create table _glueflake.rejected_records (table_name varchar, file_key varchar, "
        "line bigint, raw_text varchar, reason varchar, load_id varchar, loaded_at timestamptz)"
    )
    con.execute(
        "insert into _glueflake.rejected_records values "
        "('shop__orders', 'k1', 2, '{', 'column 2: malformed JSON: x', 'l', now()), "
        "('shop__customers', 'k2', 1, '[]', 'column 1: not a JSON object', 'l', now())"
    )
    con.execute("create schema raw")
    con.execute("create table raw.orders (id int, _rescued json)")
    con.execute("insert into raw.orders values (1, null), (2, '{\"amount\": \"1,5\"}'), (3, '{}')")
    con.execute("create table raw.countries (cca3 varchar)")
    facts = DuckDBFacts(con)
    assert facts.rejects("shop__orders") == [RejectReason("malformed JSON: x", 1, "k1:2")]
    assert facts.rescued("raw.orders") == 1
    assert facts.rescued("raw.countries") is None  # no _rescued column: not tracked
    assert facts.count("raw.orders") == 3
    assert facts.count("raw.missing") is None
    assert facts.drift("shop", "orders") is None  # no schema history table
    con.execute(
        "create table _glueflake.schema_history (source varchar, entity varchar, "
        "field varchar, change varchar, first_file varchar)"
    )
    con.execute(
        "insert into _glueflake.schema_history values "
        "('shop', 'orders', 'id', 'initial', 'f0'), "
        "('shop', 'orders', 'discount_code', 'added', 'f1'), "
        "('shop', 'customers', 'tier', 'removed', 'f2')"
    )
    drift = DuckDBFacts(con).drift("shop", "orders")
    assert drift == [
        {
            "source": "shop",
            "entity": "orders",
            "field": "discount_code",
            "change": "added",
            "first_file": "f1",
        }
    ]
    con.close()


# --- rendering ------------------------------------------------------------------------


def _report(name: str = "shop.orders") -> Report:
    source, entity = name.split(".")
    status = EntityStatus(
        source=source,
        entity=entity,
        lake_files=4,
        lake_records=1600,
        loaded_files=4,
        loaded_rows=1598,
        rejected_rows=2,
        landing_rows=1598,
        pending_files=1,
        orphaned_files=1,
        last_loaded_at=T0,
        orphan_keys=["raw/shop/orders/ingest_date=2026-11-28/x-00001.ndjson.gz"],
    )
    raw = ModelCount("model.p.raw", "raw_shop__orders", "raw", 1500, "index.html#!/model/m")
    item = EntityReport(
        status=status,
        extracted=1600,
        raw=[raw],
        rejects=[RejectReason("malformed JSON: <script>alert(1)</script>", 2, "k:1")],
        freshness=Freshness("pass", 0.5, 36, 72),
    )
    return Report(
        generated_at=T0,
        project="p",
        lake_url="/lake",
        warehouse="/w.duckdb",
        target="dev",
        entities=[item],
        runs=[RunRecord(RUN, T0, [Stage("extract", T0, 2.0), Stage("load", T0, 1.0, ok=False)])],
        dbt=_dbt(failed=True),
        models=[raw],
    )


def test_the_report_is_one_page_with_the_numbers_and_nothing_external() -> None:
    html = render_report(_report())
    row = re.search(r'<tr data-entity="shop.orders">(.*?)</tr>', html, re.DOTALL)
    assert row is not None
    cells = dict(re.findall(r'data-col="(\w+)">([^<]*)<', row[1]))
    assert cells["lake_records"] == "1,600"
    assert cells["rejected"] == "2"
    assert cells["landing_rows"] == "1,598"
    assert "1 pending" in row[1] and "1 orphaned" in row[1]
    # The reject reason is text, never markup.
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Embedded figures for scripts.
    data = re.search(r'<script id="report-data" type="application/json">(.*?)</script>', html)
    assert data is not None
    assert json.loads(data[1])["shop.orders"]["pending"] == 1
    # Failures first in the dbt table; the failed run and stage are marked.
    assert html.index('data-node="test.p.not_null') < html.index('data-node="model.p.fct_orders"')
    assert "1 failed" in html and "FAILED" in html
    # Self-contained: no stylesheet, script or image from anywhere.
    assert not re.search(r'<(link|script|img)[^>]+(src|href)="(https?:)?//', html)
    assert "@import" not in html and "url(http" not in html


def test_the_timeline_scales_every_run_to_the_longest() -> None:
    runs = [
        RunRecord("a", T0, [Stage("extract", T0, 10.0), Stage("load", T0, 30.0, ok=False)]),
        RunRecord("b", T0, [Stage("transform", T0 + timedelta(seconds=20), 20.0)]),
    ]
    chart = timeline(runs)
    assert len(chart.rows) == 2 and len(chart.bars) == 3
    extract, load, transform = chart.bars
    assert load.width == pytest.approx(3 * extract.width)
    assert load.colour == "#C0392B"  # failed
    assert transform.x + transform.width == pytest.approx(chart.ticks[-1][0])
    assert timeline([]).rows == []


# --- the docs folder ------------------------------------------------------------------


def test_the_dbt_docs_page_loses_its_fetches_of_missing_urls() -> None:
    page = (
        '<link rel="shortcut icon" href="${require(\'./assets/favicons/favicon.ico\')}"/>'
        "<svg><use xlink:href=\"{{ getIcon(item.type, 'on') }}\"></use></svg>"
    )
    fixed = offline_docs_page(page)
    assert "require(" not in fixed and "xlink:href" not in fixed
    assert 'ng-attr-href="{{ getIcon(' in fixed


def test_runbooks_become_html_pages_linking_each_other(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "aws.md").write_text("# Deploy to <AWS>\n\nSee [Snowflake](snowflake.md#roles).\n")
    (docs / "snowflake.md").write_text("# Snowflake\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    written = render_runbooks(docs, tmp_path / "out")
    assert [p.name for p in written] == ["aws.html", "snowflake.html"]
    aws = written[0].read_text()
    assert 'href="snowflake.html#roles"' in aws
    assert "<title>Deploy to &lt;AWS&gt;</title>" in aws
    assert "<table>" in written[1].read_text()
    assert render_runbooks(tmp_path / "nowhere", tmp_path / "out") == ()


def test_the_server_listens_on_loopback_only(tmp_path: Path) -> None:
    (tmp_path / "report.html").write_text("<p>hello</p>")
    server = docs_server(tmp_path, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert server.server_address[0] == "127.0.0.1"
        url = server_url(server, "report.html")
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(url).text == "<p>hello</p>"
    finally:
        server.shutdown()
        server.server_close()


# --- the lineage picture --------------------------------------------------------------

_GRAPH_MANIFEST = {
    "metadata": {"project_name": "p"},
    "sources": {
        "source.p.landing.shop__orders": {
            "unique_id": "source.p.landing.shop__orders",
            "resource_type": "source",
            "package_name": "p",
            "source_name": "landing",
            "name": "shop__orders",
        }
    },
    "nodes": {
        "model.p.raw_shop__orders": {
            "unique_id": "model.p.raw_shop__orders",
            "resource_type": "model",
            "package_name": "p",
            "name": "raw_shop__orders",
            "fqn": ["p", "raw", "raw_shop__orders"],
            "depends_on": {"nodes": ["source.p.landing.shop__orders"]},
        }
    },
}


def _counts() -> dict[str, ModelCount]:
    return {
        "source.p.landing.shop__orders": ModelCount(
            "source.p.landing.shop__orders", "landing.shop__orders", "source", 1234, "i#s"
        ),
        "model.p.raw_shop__orders": ModelCount(
            "model.p.raw_shop__orders", "raw_shop__orders", "raw", None, "i#m"
        ),
    }


def test_the_lineage_carries_row_counts_and_scales_with_the_page() -> None:
    from glueflake.diagrams.lineage import lineage_graph
    from glueflake.diagrams.render import dot_path
    from glueflake.report.lineage_view import counted_graph, lineage_view

    graph = lineage_graph(_GRAPH_MANIFEST, package="p")
    labels = {n.unique_id: n.label for n in counted_graph(graph, _counts()).nodes}
    assert labels["source.p.landing.shop__orders"] == "landing.shop__orders\n1,234 rows"
    assert labels["model.p.raw_shop__orders"] == "raw_shop__orders"  # not counted
    if dot_path() is None:
        pytest.skip("Graphviz's dot is not installed (Debian: apt-get install graphviz)")
    lineage, note = lineage_view(graph, _counts(), title="t")
    assert note is None and lineage.svg is not None
    assert lineage.svg.startswith("<svg") and "1,234 rows" in lineage.svg
    root = lineage.svg[: lineage.svg.index(">")]
    assert "viewBox" in root and "width=" not in root and "height=" not in root
    assert lineage.links["model.p.raw_shop__orders"] == "i#m"


def test_without_dot_the_lineage_is_the_committed_picture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from glueflake.diagrams.lineage import lineage_graph
    from glueflake.report import lineage_view as view

    monkeypatch.setattr(view, "dot_path", lambda: None)
    graph = lineage_graph(_GRAPH_MANIFEST, package="p")
    png = tmp_path / "lineage.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    lineage, note = view.lineage_view(graph, _counts(), title="t", fallback_png=png)
    assert lineage.svg is None
    assert lineage.png_data_uri == "data:image/png;base64,iVBORw0KGgpmYWtl"
    assert note is not None and "dot" in note
    lineage, note = view.lineage_view(graph, _counts(), title="t", fallback_png=tmp_path / "no")
    assert lineage.png_data_uri is None
    assert note is not None and "no diagrams/lineage.png to show" in note
