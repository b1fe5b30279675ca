"""Scaffolding for new users: `add-source` (probe, infer, render) and `init`.

``plan_add_source`` probes a REST endpoint (`probe`), infers its columns, key and
cursor from sample records (`infer`) and renders the config block, dbt source,
raw model and yml (`render`) as file changes to show and write.
"""

from __future__ import annotations

from glueflake.scaffold.add_source import AddSource, FileChange, plan_add_source
from glueflake.scaffold.probe import ScaffoldError

__all__ = ["AddSource", "FileChange", "ScaffoldError", "plan_add_source"]
