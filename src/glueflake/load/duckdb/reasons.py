"""Human-readable reasons for rejected lines: what is wrong and at which column."""

from __future__ import annotations

import json

_TYPE_NAMES = {
    "ARRAY": "an array",
    "VARCHAR": "a string",
    "BIGINT": "a number",
    "UBIGINT": "a number",
    "DOUBLE": "a number",
    "BOOLEAN": "a boolean",
    "NULL": "null",
}


def reject_reason(text: str, json_type: str | None) -> str:
    """Why a line is not a loadable record.

    Args:
        text: the line.
        json_type: DuckDB's ``json_type`` of the line when it is valid JSON, else None.

    Returns:
        ``column C: <parser message>`` for malformed JSON, or a sentence naming the
        JSON type for a valid value that is not an object.
    """
    if json_type is not None:
        got = _TYPE_NAMES.get(json_type.upper(), json_type.lower())
        return f"column 1: not a JSON object (got {got})"
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"column {exc.colno}: malformed JSON: {exc.msg}"
    except RecursionError:
        return "column 1: malformed JSON: nested too deeply"
    # Python's parser accepts a few things DuckDB's does not (NaN, huge nesting).
    return "column 1: malformed JSON: rejected by DuckDB's JSON parser"


def first_error_text(line: int, reason: str) -> str:
    """The ledger's ``first_error``: ``line L, <reason>``."""
    return f"line {line}, {reason}"
