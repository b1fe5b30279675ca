"""``glueflake docs``: the dbt docs site, the runbooks beside it, and the run report.

The folder it writes opens from disk with no server and fetches nothing:

- ``index.html``: dbt's static docs page (manifest and catalog inside it), with the
  project's ``__overview__`` page; ``manifest.json`` and ``catalog.json`` beside it;
- ``runbook/*.html``: the repository's ``docs/*.md`` as HTML, which the overview links;
- ``report.html``: the run report (`gather` then `render`).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from glueflake.config import DuckDBWarehouse, PipelineConfig
from glueflake.diagrams.manifest import read_manifest
from glueflake.errors import PipelineError
from glueflake.report.gather import gather_report
from glueflake.report.model import Report
from glueflake.report.render import render_report

DEFAULT_DOCS_DIR = ".glueflake/docs"
INDEX = "index.html"
REPORT = "report.html"
RUNBOOK = "runbook"
_MD_LINK = re.compile(r'href="(?![a-z]+:|#|/)([^"#]+)\.md(#[^"]*)?"')
# Two spots of dbt-docs' page that make the browser fetch a URL that does not exist:
# the favicon link keeps a build-time placeholder, and the menu icons' SVG <use>
# carries "{{ getIcon(...) }}" in xlink:href, which the browser loads before Angular
# fills it in. Fixed in our copy: no favicon, and Angular sets `href` once it has the
# value (SVG 2 reads href on <use>).
OFFLINE_FIXES = (
    ("href=\"${require('./assets/favicons/favicon.ico')}\"", 'href="data:,"'),
    ('xlink:href="{{ getIcon(', 'ng-attr-href="{{ getIcon('),
)
_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>
body {{ font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2933;
       max-width: 920px; margin: 24px auto; padding: 0 24px; }}
pre {{ background: #f5f7fa; padding: 10px 14px; overflow: auto; border-radius: 6px; }}
code {{ font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }}
table {{ border-collapse: collapse; }} th, td {{ border: 1px solid #d9e2ec; padding: 4px 8px; }}
a {{ color: #2471a3; }}
</style></head>
<body><p><a href="../{index}">dbt docs</a> · <a href="../{report}">run report</a></p>
{body}
</body></html>
"""


class DocsError(PipelineError):
    """The docs could not be written (dbt failed, or the folder is not writable)."""


@dataclass(frozen=True)
class DocsSite:
    """What ``glueflake docs`` wrote."""

    out_dir: Path
    index: Path
    report_path: Path
    runbooks: tuple[Path, ...]
    report: Report

    def __rich__(self) -> str:
        lines = [
            f"wrote {self.index} (dbt docs)",
            f"wrote {self.report_path} (run report: {len(self.report.entities)} entities, "
            f"{len(self.report.runs)} runs)",
        ]
        if self.runbooks:
            lines.append(f"wrote {len(self.runbooks)} runbook page(s) in {self.out_dir / RUNBOOK}")
        lines.extend(f"note: {n}" for n in self.report.notes)
        return "\n".join(lines)


def render_runbooks(docs_dir: Path, out_dir: Path) -> tuple[Path, ...]:
    """Write each ``docs_dir/*.md`` as ``out_dir/<name>.html`` (links to .md become .html)."""
    from markdown_it import MarkdownIt

    if not docs_dir.is_dir():
        return ()
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sorted(docs_dir.glob("*.md")):
        text = source.read_text(encoding="utf-8")
        title = next(
            (line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("#")),
            source.stem,
        )
        body = _MD_LINK.sub(lambda m: f'href="{m[1]}.html{m[2] or ""}"', md.render(text))
        page = _PAGE.format(
            title=md.renderInline(title).replace("<", "&lt;"),
            body=body,
            index=INDEX,
            report=REPORT,
        )
        path = out_dir / f"{source.stem}.html"
        path.write_text(page, encoding="utf-8")
        written.append(path)
    return tuple(written)


def offline_docs_page(page: str) -> str:
    """The static docs page of dbt with the spots that fetch a missing URL fixed."""
    for old, new in OFFLINE_FIXES:
        page = page.replace(old, new)
    return page


def _dbt_docs(cfg: PipelineConfig, target: str | None, out_dir: Path) -> dict[str, object]:
    """Run ``dbt docs generate --static`` in a scratch target folder; copy the site out.

    A scratch folder keeps the build's ``run_results.json`` (which docs generate
    would overwrite) for the report.
    """
    from glueflake.pipeline import dbt_settings
    from glueflake.transform import DbtFailure, docs_generate

    settings = dbt_settings(cfg, target=target)
    warehouse = cfg.warehouse
    empty = isinstance(warehouse, DuckDBWarehouse) and not cfg.resolve_path(warehouse.path).exists()
    with tempfile.TemporaryDirectory(prefix="glueflake-docs-") as tmp:
        update: dict[str, object] = {"target_path": Path(tmp)}
        if empty:  # dbt-duckdb would create the warehouse file just to compile
            update["duckdb_path"] = Path(tmp) / "no_warehouse_yet.duckdb"
        scratch = settings.model_copy(update=update)
        try:
            folder = docs_generate(scratch, empty_catalog=empty)
        except DbtFailure as exc:
            raise DocsError(str(exc)) from None
        page = (folder / "static_index.html").read_text(encoding="utf-8")
        (out_dir / INDEX).write_text(offline_docs_page(page), encoding="utf-8")
        for name in ("manifest.json", "catalog.json"):
            if (folder / name).is_file():
                shutil.copyfile(folder / name, out_dir / name)
        return read_manifest(folder / "manifest.json")


def build_docs(
    cfg: PipelineConfig, out_dir: Path | None = None, *, target: str | None = None
) -> DocsSite:
    """Write the dbt docs site, the runbooks and the run report into one folder.

    Args:
        cfg: the pipeline.
        out_dir: the folder (default ``.glueflake/docs`` beside the config).
        target: dbt's profile target (default: the config's).

    Returns:
        What was written.

    Raises:
        DocsError: dbt could not generate the docs.
    """
    from glueflake.load import lake_status
    from glueflake.pipeline import dbt_settings

    out_dir = out_dir or cfg.resolve_path(DEFAULT_DOCS_DIR)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DocsError(f"cannot create {out_dir}: {exc.strerror}") from None
    settings = dbt_settings(cfg, target=target)
    manifest = _dbt_docs(cfg, target, out_dir)
    project_dir = settings.project_dir.resolve()
    runbooks = render_runbooks(project_dir / "docs", out_dir / RUNBOOK)
    report = gather_report(
        cfg,
        lake_status(cfg),
        manifest,
        target_path=settings.resolved_target_path,
        target=settings.target,
        fallback_png=project_dir / "diagrams" / "lineage.png",
        index=INDEX,
    )
    report_path = out_dir / REPORT
    report_path.write_text(render_report(report), encoding="utf-8")
    return DocsSite(out_dir, out_dir / INDEX, report_path, runbooks, report)
