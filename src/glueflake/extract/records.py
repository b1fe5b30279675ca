"""Finding things in a JSON body by dotted path: the record list, a cursor, a field."""

from __future__ import annotations

from typing import Any

from glueflake.errors import ExtractError

_MISSING = object()


def get_path(obj: Any, path: str, default: Any = None) -> Any:
    """The value at a dotted path (``a.b.0.c``); `default` where any step is missing.

    Args:
        obj: parsed JSON.
        path: keys separated by dots; a digit step indexes a list; ``''`` is `obj`.
        default: returned where the path does not exist.
    """
    if not path:
        return obj
    node = obj
    for step in path.split("."):
        if isinstance(node, dict):
            node = node.get(step, _MISSING)
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return default
        if node is _MISSING:
            return default
    return node


def select_records(body: Any, path: str, where: str) -> list[Any]:
    """The record list at `path` in a response body.

    Args:
        body: the parsed response.
        path: dotted path of the list; ``''`` means the body itself is the list.
        where: ``source.entity`` for the error message.

    Raises:
        ExtractError: there is no list at `path`.
    """
    records = get_path(body, path, _MISSING)
    if isinstance(records, list):
        return records
    shown = repr(path) if path else "'' (the body itself)"
    got = "nothing" if records is _MISSING else type(records).__name__
    raise ExtractError(f"{where}: expected a list of records at records path {shown}, got {got}")
