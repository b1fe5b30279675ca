"""Where in the model's own file a SQL error is: dbt reports the compiled line only.

A database error carries ``LINE n: <text>`` of the SQL dbt ran (the compiled model
wrapped in ``create table ... as``), and dbt names the model's file. The line is
found in that file by its text: the same line where the model has no Jinja on it,
else the line that gives the same column alias (``... as price,``). Nothing is
claimed when neither matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

_FILE = re.compile(r"in (?:model|snapshot|seed|test) \S+ \(([^)]+\.sql)\)")
_LINE = re.compile(r"^\s*LINE (\d+):\s?(.*)$", re.MULTILINE)
_ALIAS = re.compile(r"\bas\s+(\w+)\s*,?\s*$", re.IGNORECASE)


def locate(message: str, project_dir: Path) -> str | None:
    """``path:line: text`` of the model line the SQL error in `message` points at."""
    file_match, line_match = _FILE.search(message), _LINE.search(message)
    if not file_match or not line_match:
        return None
    relative = file_match.group(1)
    try:
        source = (project_dir / relative).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    compiled = line_match.group(2).strip()
    if not compiled:
        return None
    exact = [i for i, line in enumerate(source) if line.strip() == compiled]
    alias = _ALIAS.search(compiled)
    by_alias = (
        [i for i, line in enumerate(source) if (m := _ALIAS.search(line)) and m[1] == alias[1]]
        if alias
        else []
    )
    hits = exact or by_alias
    if len(hits) != 1:
        return None
    number = hits[0]
    return f"{relative}:{number + 1}: {source[number].strip()}"


def locate_all(messages: Iterable[str | None], project_dir: Path) -> list[str]:
    """`locate` over several node messages, each found location once."""
    found: list[str] = []
    for message in messages:
        where = locate(message or "", project_dir)
        if where and where not in found:
            found.append(where)
    return found
