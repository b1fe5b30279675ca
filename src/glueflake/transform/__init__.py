"""The transform stage: the dbt project under the repo root, run through dbtRunner.

``build(settings)`` runs ``dbt build`` (seeds, models, snapshots and tests in DAG
order) with live per-node progress and returns a typed :class:`BuildSummary`; a
failed model or test raises :class:`DbtFailure` naming it. ``freshness(settings)``
runs ``dbt source freshness`` on the landing sources; ``docs_generate(settings)`` writes
the dbt docs site.
"""

from __future__ import annotations

from glueflake.transform.results import (
    BuildSummary,
    Counts,
    DbtFailure,
    FreshnessSummary,
    NodeResult,
    SourceFreshness,
)
from glueflake.transform.runner import build, docs_generate, freshness
from glueflake.transform.settings import DbtSettings

__all__ = [
    "BuildSummary",
    "Counts",
    "DbtFailure",
    "DbtSettings",
    "FreshnessSummary",
    "NodeResult",
    "SourceFreshness",
    "build",
    "docs_generate",
    "freshness",
]
