"""Which landing tables no dbt model reads: data extracted and loaded for nothing.

Read from the manifest dbt writes at every invocation (``target/manifest.json``):
a landing table is read when a dbt source of that name (under a source called
``landing``) has a model among its children.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

LANDING_SOURCE = "landing"


def unread_entities(manifest_path: Path, entities: Iterable[tuple[str, str]]) -> list[str]:
    """One warning per (source, entity) whose landing table no dbt model reads.

    Args:
        manifest_path: dbt's manifest.json; a missing or unreadable one gives no warning.
        entities: the extracted (source, entity) pairs.
    """
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    declared: dict[str, str] = {
        str(node.get("name")): uid
        for uid, node in (manifest.get("sources") or {}).items()
        if node.get("source_name") == LANDING_SOURCE
    }
    children: dict[str, list[str]] = manifest.get("child_map") or {}
    warnings = []
    for source, entity in entities:
        table = f"{source}__{entity}"
        uid = declared.get(table)
        if uid is None:
            warnings.append(
                f"{source}.{entity}: no dbt source declares {LANDING_SOURCE}.{table}, so no "
                "model reads it (glueflake add-source writes one)"
            )
        elif not any(child.startswith("model.") for child in children.get(uid, [])):
            warnings.append(
                f"{source}.{entity}: no dbt model reads source('{LANDING_SOURCE}', '{table}')"
            )
    return warnings
