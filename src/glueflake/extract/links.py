"""RFC 8288 ``Link`` header parsing (several links per header, several headers)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Link:
    """One link of a ``Link`` header.

    Attributes:
        target: the URI reference between ``<`` and ``>`` (may be relative).
        rels: the relation types, lowercased (``rel="next last"`` gives two).
        params: every other parameter, names lowercased, values unquoted.
    """

    target: str
    rels: frozenset[str]
    params: dict[str, str] = field(default_factory=dict)


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i


def _read_quoted(text: str, i: int) -> tuple[str, int]:
    """Read a quoted-string starting at ``text[i] == '"'``; returns (value, next index)."""
    out: list[str] = []
    i += 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    return "".join(out), i


def _read_token(text: str, i: int, stops: str) -> tuple[str, int]:
    start = i
    while i < len(text) and text[i] not in stops:
        i += 1
    return text[start:i].strip(), i


def parse_link_header(value: str) -> list[Link]:
    """Parse one ``Link`` header value into its links.

    Commas and semicolons inside ``<...>`` or inside quoted parameter values do not
    split links. Malformed pieces are skipped rather than guessed at.

    Args:
        value: the header value, e.g. ``<https://a/?page=2>; rel="next", <...>; rel=last``.

    Returns:
        The links in header order.
    """
    links: list[Link] = []
    i, n = 0, len(value)
    while i < n:
        i = _skip_ws(value, i)
        if i >= n:
            break
        if value[i] != "<":
            # Not a link-value: skip to the next comma.
            _, i = _read_token(value, i, ",")
            i += 1
            continue
        end = value.find(">", i + 1)
        if end < 0:
            break
        target = value[i + 1 : end].strip()
        i = end + 1
        params: dict[str, str] = {}
        while True:
            i = _skip_ws(value, i)
            if i >= n or value[i] == ",":
                i += 1
                break
            if value[i] != ";":
                _, i = _read_token(value, i, ",")
                continue
            i = _skip_ws(value, i + 1)
            name, i = _read_token(value, i, "=;,")
            val = ""
            i = _skip_ws(value, i)
            if i < n and value[i] == "=":
                i = _skip_ws(value, i + 1)
                if i < n and value[i] == '"':
                    val, i = _read_quoted(value, i)
                else:
                    val, i = _read_token(value, i, ";,")
            name = name.lower()
            if name and name not in params:  # RFC 8288: later duplicates are ignored
                params[name] = val
        rels = frozenset(r.lower() for r in params.pop("rel", "").split())
        links.append(Link(target=target, rels=rels, params=params))
    return links


def find_rel(headers: Iterable[str], rel: str) -> str | None:
    """The target of the first link with relation `rel` across ``Link`` header values."""
    wanted = rel.lower()
    for value in headers:
        for link in parse_link_header(value):
            if wanted in link.rels:
                return link.target
    return None
