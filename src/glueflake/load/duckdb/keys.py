"""The primary-key check of a landing row, as SQL over the record's JSON.

A record whose key is missing, null, empty, an object or an array cannot be deduplicated by
the ``raw`` models (``latest_version`` keeps one row per key: a null key vanishes
there without a word), so the loader rejects it, with the file, the line and the
field, like any other bad line.
"""

from __future__ import annotations


def _json_path(field: str) -> str:
    """A dotted record path (``a.b``, ``items.0.id``) as a DuckDB JSON path."""
    parts = ["$"]
    for step in field.split("."):
        if step.isdigit():
            parts.append(f"[{step}]")
        else:
            parts.append('."' + step.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "".join(parts)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def key_problem_sql(record: str, primary_key: str | list[str]) -> str:
    """SQL giving why `record` (a JSON expression) has no usable key, or NULL if it has.

    Args:
        record: the SQL expression of the record's JSON value.
        primary_key: the endpoint's key field, or fields (dotted paths).

    Returns:
        An expression: NULL for a usable key, else ``primary key field 'id' is missing``
        (or ``is null``, ``is empty``, ``is an object``, ``is an array``) for the first bad field.
    """
    fields = [primary_key] if isinstance(primary_key, str) else list(primary_key)
    cases = []
    for field in fields:
        path = _literal(_json_path(field))
        kind = f"json_type({record}, {path})"
        name = "primary key field " + repr(field)
        cases.append(
            f"case when {kind} is null then {_literal(name + ' is missing')} "
            f"when {kind} = 'NULL' then {_literal(name + ' is null')} "
            # raw reads an empty string as none (its "none is one thing" rule)
            f"when {kind} = 'VARCHAR' and json_extract_string({record}, {path}) = '' "
            f"then {_literal(name + ' is empty')} "
            f"when {kind} = 'OBJECT' then {_literal(name + ' is an object, not a value')} "
            f"when {kind} = 'ARRAY' then {_literal(name + ' is an array, not a value')} end"
        )
    return cases[0] if len(cases) == 1 else f"coalesce({', '.join(cases)})"
