"""``glueflake docs``: the dbt docs site and a self-contained run report beside it.

`build_docs` writes the folder (dbt's static docs page with the project overview,
the runbooks as HTML, ``report.html``); `docs_server` serves it on 127.0.0.1.
Gathering (`gather`, `facts`, `runs`) is kept apart from drawing (`render`).
"""

from glueflake.report.gather import gather_report
from glueflake.report.model import EntityReport, Report, RunRecord, Stage
from glueflake.report.render import render_report
from glueflake.report.serve import docs_server, server_url
from glueflake.report.site import DEFAULT_DOCS_DIR, DocsError, DocsSite, build_docs

__all__ = [
    "DEFAULT_DOCS_DIR",
    "DocsError",
    "DocsSite",
    "EntityReport",
    "Report",
    "RunRecord",
    "Stage",
    "build_docs",
    "docs_server",
    "gather_report",
    "render_report",
    "server_url",
]
