"""`glueflake docs` on a demo run: the report carries `glueflake status`'s numbers, and
both pages render in headless Chromium with no console error and no fetch off the machine.

One module fixture: `glueflake run --demo-day 10` in tmp, then trouble added by hand
(a committed file with bad lines, loaded; a committed file not loaded yet; an orphan),
then `glueflake status`, then `glueflake docs --serve --port 0` left serving while the
tests read the folder it wrote and the browser opens it from disk and over loopback.
Screenshots are kept in ``.glueflake/artifacts/`` of the repository.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from dbt_fixtures import ENTITIES, PROJECT_DIR
from lake_builder import LakeBuilder, order

from glueflake.lake import LocalStore

if TYPE_CHECKING:
    from conftest import DemoConfig

GLUEFLAKE = Path(sys.executable).with_name("glueflake")
ARTIFACTS = PROJECT_DIR / ".glueflake" / "artifacts"
ENTITY_NAMES = [f"{s}.{e}" for s, e in ENTITIES]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [pytest.mark.integration, pytest.mark.dbt, pytest.mark.xdist_group("docs_report")]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLUEFLAKE")}
    env.pop("COLUMNS", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _glueflake(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(GLUEFLAKE), *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"glueflake {' '.join(args)}:\n{done.stdout}{done.stderr}"
    assert "Traceback" not in done.stdout + done.stderr
    return done


def _status_rows(text: str) -> dict[str, list[int]]:
    """`glueflake status` rows: lake files, lake records, loaded files, loaded rows,
    rejected, landing rows, pending."""
    rows = {}
    for line in text.splitlines():
        cells = line.split()
        if cells and cells[0] in ENTITY_NAMES:
            rows[cells[0]] = [-1 if c == "-" else int(c.replace(",", "")) for c in cells[1:]]
    return rows


class _EntityTable(HTMLParser):
    """The report's entity table: ``{entity: {data-col: text}}`` from the HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, str]] = {}
        self._entity: str | None = None
        self._col: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr" and found.get("data-entity"):
            self._entity = found["data-entity"]
            self.rows[self._entity] = {}
        elif self._entity and found.get("data-col"):
            self._col = found["data-col"]
            self.rows[self._entity].setdefault(self._col, "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._entity = None
        if tag in ("td", "span"):
            self._col = None

    def handle_data(self, data: str) -> None:
        if self._entity and self._col:
            self.rows[self._entity][self._col] += data


def _int(text: str) -> int:
    digits = re.search(r"-?[\d,]+", text)
    assert digits, text
    return int(digits[0].replace(",", ""))


@dataclass
class Docs:
    root: Path
    out: Path
    status: str
    url: str
    stdout: str


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory, demo_config: DemoConfig) -> Iterator[Docs]:
    root = tmp_path_factory.mktemp("docs_report")
    config = demo_config.write(root, scale=1_500)
    _glueflake("run", "--no-progress", "-c", str(config), "--demo-day", "10", cwd=root)
    # Trouble the report must show: two bad lines (loaded: rejected), a committed file
    # loaded after nothing (pending), and an uncommitted file two hours old (orphan).
    lake = LakeBuilder(LocalStore(root / "lake"))
    lake.extract([order(900_001), "{not json", "[1, 2]"])
    _glueflake("load", "--no-progress", "-c", str(config), cwd=root)
    lake.extract([order(900_002)])
    lake.orphan([order(900_003)], age=timedelta(hours=2))
    status = _glueflake("status", "-c", str(config), cwd=root).stdout

    out = root / "site"
    proc = subprocess.Popen(
        [str(GLUEFLAKE), "docs", "-c", str(config), "--out", str(out), "--serve", "--port", "0"],
        cwd=root,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    url = ""
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            found = re.search(r"serving (http://127\.0\.0\.1:\d+/)report\.html", line)
            if found:
                url = found[1]
                break
        assert url, "glueflake docs --serve printed no URL:\n" + "".join(lines)
        yield Docs(root, out, status, url, "".join(lines))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_report_shows_every_entity_with_the_numbers_status_prints(docs: Docs) -> None:
    status = _status_rows(docs.status)
    assert set(status) == set(ENTITY_NAMES)
    parser = _EntityTable()
    parser.feed((docs.out / "report.html").read_text(encoding="utf-8"))
    assert set(parser.rows) == set(ENTITY_NAMES)
    columns = (
        "lake_files",
        "lake_records",
        "loaded_files",
        "loaded_rows",
        "rejected",
        "landing_rows",
        "pending",
    )
    for name in ENTITY_NAMES:
        shown = [_int(parser.rows[name][c]) for c in columns]
        assert shown == status[name], name
    # The trouble added by hand is there, in status and so in the report.
    orders = dict(zip(columns, status["shop.orders"], strict=True))
    assert orders["rejected"] == 2 and orders["pending"] == 1
    html = (docs.out / "report.html").read_text(encoding="utf-8")
    assert "malformed JSON" in html and "not a JSON object (got an array)" in html
    assert "1 orphaned" in html
    # raw rows are the raw model's count(*), the number the run printed.
    assert _int(parser.rows["shop.customers"]["raw_rows"]) == status["shop.customers"][5]


def test_the_folder_holds_the_docs_site_runbooks_and_report(docs: Docs) -> None:
    assert {"index.html", "report.html", "manifest.json", "catalog.json", "runbook"} <= {
        p.name for p in docs.out.iterdir()
    }
    index = (docs.out / "index.html").read_text(encoding="utf-8")
    assert "How to read the marts" in index  # our overview, inlined in the static page
    for page in re.findall(
        r"\(runbook/(\w+\.html)\)", (PROJECT_DIR / "models/overview.md").read_text()
    ):
        assert (docs.out / "runbook" / page).is_file(), page
    report = (docs.out / "report.html").read_text(encoding="utf-8")
    assert 'href="index.html#!/model/model.glueflake.fct_orders"' in report
    assert "<svg" in report  # the timeline, and the lineage when dot is there
    assert "wrote" in docs.stdout and "Traceback" not in docs.stdout


def test_serve_answers_on_loopback(docs: Docs) -> None:
    assert docs.url.startswith("http://127.0.0.1:")
    page = httpx.get(docs.url + "report.html", timeout=10)
    assert page.status_code == 200 and 'id="entity-table"' in page.text


# --- the browser ----------------------------------------------------------------------


def _chromium() -> str:
    path = os.environ.get("GLUEFLAKE_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    profile = tmp_path_factory.mktemp("chromium_profile")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=[f for f in CHROMIUM_FLAGS if f != "--headless"],
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context
        finally:
            context.close()


@dataclass
class Visit:
    page: Any
    errors: list[str]
    outside: list[str]


def _open(context: Any, url: str) -> Visit:
    """Open `url`, failing every request that leaves the machine, recording console errors."""
    page = context.new_page()
    visit = Visit(page, [], [])

    def guard(route: Any) -> None:
        target = route.request.url
        if re.match(r"^(file:|data:|about:|blob:|https?://127\.0\.0\.1[:/])", target):
            route.continue_()
        else:
            visit.outside.append(target)
            route.abort()

    page.route("**/*", guard)
    page.on("console", lambda m: visit.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: visit.errors.append(str(e)))
    page.goto(url, wait_until="load")
    page.wait_for_timeout(1500)
    return visit


@pytest.mark.parametrize("where", ["file", "http"])
def test_the_report_renders_in_chromium(docs: Docs, browser: Any, where: str) -> None:
    url = (docs.out / "report.html").as_uri() if where == "file" else docs.url + "report.html"
    visit = _open(browser, url)
    page = visit.page
    assert page.locator("#entity-table").is_visible()
    for name in ENTITY_NAMES:
        assert page.locator(f'#entity-table tr[data-entity="{name}"]').is_visible(), name
    assert page.locator("#timeline").is_visible()
    assert page.locator("#lineage .lineage svg, #lineage .lineage img").count() == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report-{where}.png"), full_page=True)
    # A box of the lineage opens its model in the dbt docs (when Graphviz drew it).
    node = page.locator("#lineage svg g.node", has_text="fct_orders").first
    if shutil.which("dot"):
        node.click()
        page.wait_for_url("**/index.html#!/model/model.glueflake.fct_orders")
        page.get_by_text("One row per order with its totals").first.wait_for(timeout=15_000)
    assert visit.errors == []
    assert visit.outside == []
    page.close()


@pytest.mark.parametrize("where", ["file", "http"])
def test_the_dbt_docs_render_in_chromium(docs: Docs, browser: Any, where: str) -> None:
    base = (docs.out / "index.html").as_uri() if where == "file" else docs.url + "index.html"
    visit = _open(browser, base)
    page = visit.page
    overview = page.get_by_text("How to read the marts")
    overview.wait_for(timeout=15_000)
    assert overview.is_visible()
    # A report link lands on the model's page.
    page.goto(base + "#!/model/model.glueflake.fct_orders")
    page.get_by_text("One row per order with its totals").first.wait_for(timeout=15_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dbt-docs-{where}.png"))
    assert visit.errors == []
    assert visit.outside == []
    page.close()


def test_docs_before_the_first_run_leave_the_warehouse_uncreated(
    tmp_path: Path, demo_config: DemoConfig
) -> None:
    """Before the fix, dbt-duckdb created an empty warehouse file to compile the docs."""
    config = demo_config.write(tmp_path)
    done = _glueflake("docs", "-c", str(config), cwd=tmp_path)
    assert not (tmp_path / "warehouse.duckdb").exists()
    out = tmp_path / ".glueflake" / "docs"
    assert (out / "index.html").is_file()
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "No runs yet" in report and "No dbt results yet" in report
    parser = _EntityTable()
    parser.feed(report)
    assert set(parser.rows) == set(ENTITY_NAMES)
    assert all(row["landing_rows"] == "-" for row in parser.rows.values())
    assert "no dbt results" in done.stdout
