"""Adding an API glueflake has never seen: one `add-source`, one `run` (issue 17).

The API (tests/integration/unknown_api.py) serves ten widgets in pages of four as
``{"data": [...], "next": "<url>"}`` behind a bearer token. `add-source` must find
the records, the next-URL pagination, the key and the cursor, and write the config
block, dbt source, raw model and yml; `glueflake run` then lands every page's
records in a raw table with typed columns (decimal, boolean, timestamp).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml
from dbt_fixtures import PROJECT_DIR
from unknown_api import serve_widgets, widgets

GLUEFLAKE = Path(sys.executable).with_name("glueflake")
TOKEN = "wt-s3cret-never-printed"

pytestmark = [pytest.mark.integration, pytest.mark.dbt]


def _project(root: Path) -> Path:
    """A dbt project in `root`: the repo's settings and macros, no models yet."""
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(PROJECT_DIR / name, root / name)
    shutil.copytree(PROJECT_DIR / "macros", root / "macros")
    (root / "models" / "raw").mkdir(parents=True)
    config = root / "pipeline.yml"
    config.write_text(
        "# my pipeline\n"
        + yaml.safe_dump(
            {
                "version": 1,
                "lake": {"url": "lake"},
                "warehouse": {"type": "duckdb", "path": "warehouse.duckdb"},
                "demo": {"seed": 1, "scale": 100, "day": 3},
                "dbt": {"project_dir": ".", "profiles_dir": ".", "target": "dev"},
                "sources": {
                    "restcountries": {
                        "base_url": "demo",
                        "endpoints": {"countries": {"path": "/v3.1/all", "primary_key": "cca3"}},
                    }
                },
            },
            sort_keys=False,
        )
    )
    return config


def _glueflake(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLUEFLAKE")}
    env["WIDGETS_TOKEN"] = TOKEN
    return subprocess.run(
        [str(GLUEFLAKE), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_add_source_then_run_lands_every_page_typed(tmp_path: Path) -> None:
    config = _project(tmp_path)
    with serve_widgets(TOKEN) as server:
        host, port = server.server_address[:2]
        url = f"http://{host}:{port}/v2/widgets"
        added = _glueflake(
            "add-source", "widgets", url, "--bearer", "${WIDGETS_TOKEN}", "--yes", cwd=tmp_path
        )
        assert added.returncode == 0, added.stdout + added.stderr
        assert TOKEN not in added.stdout + added.stderr
        written = yaml.safe_load(config.read_text())["sources"]["widgets"]
        assert written["auth"] == {"type": "bearer", "token": "${WIDGETS_TOKEN}"}
        endpoint = written["endpoints"]["widgets"]
        assert endpoint["records"] == "data"
        assert endpoint["primary_key"] == "widgetId"
        assert endpoint["pagination"] == {"type": "next_url", "next_path": "next"}
        assert config.read_text().startswith("# my pipeline\n")  # the rest kept as it was
        model = tmp_path / "models/raw/widgets/raw_widgets__widgets.sql"
        models_yml = (tmp_path / "models/raw/widgets/_widgets__widgets__models.yml").read_text()
        assert "inferred from 10 samples" in models_yml
        assert "latest_version('typed', 'widget_id', updated_at='updated_at')" in model.read_text()

        run = _glueflake("run", "--no-progress", "--json", cwd=tmp_path)
        assert run.returncode == 0, run.stdout + run.stderr
        assert TOKEN not in run.stdout + run.stderr

    doc = json.loads(run.stdout)  # stdout is the one document
    assert doc["ok"] is True
    assert doc["extract"]["totals"]["records"] == 249 + 10
    # The demo countries were extracted, but this project has no model for them.
    assert doc["warnings"] == [
        "restcountries.countries: no dbt source declares landing.restcountries__countries, "
        "so no model reads it (glueflake add-source writes one)"
    ]
    history = json.loads((tmp_path / ".glueflake/runs" / f"{doc['run_id']}.json").read_text())
    assert history == doc

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        types = dict(
            con.sql(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'dev_raw' and table_name = 'raw_widgets__widgets'"
            ).fetchall()
        )
        rows = con.sql(
            "select widget_id, price, in_stock, updated_at from dev_raw.raw_widgets__widgets "
            "order by widget_id"
        ).fetchall()
    assert types["widget_id"] == "BIGINT"
    assert types["price"].startswith("DECIMAL")
    assert types["in_stock"] == "BOOLEAN"
    assert types["updated_at"].startswith("TIMESTAMP")
    assert types["created_at"].startswith("TIMESTAMP")
    assert types["dimensions"] == types["tags"] == "JSON"
    expected = widgets()
    assert [r[0] for r in rows] == [w["widgetId"] for w in expected]  # all three pages
    assert [r[1] for r in rows] == [Decimal(w["price"]) for w in expected]
    assert [r[2] for r in rows] == [w["inStock"] for w in expected]
    assert rows[0][3].isoformat().startswith("2026-04-01T10:00:05.25")  # +02:00 -> UTC
