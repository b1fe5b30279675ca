"""Reading a gzip'd NDJSON file in Python, keeping every line before a failure.

This is the slow path, used only for the files DuckDB's reader cannot take (a
truncated or corrupt gzip member, invalid UTF-8, a line its CSV scanner refuses). It
decompresses member by member and reports where the stream broke, so the lines before
that point can still load and the break becomes one reject row.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

_GZIP_WBITS = 31  # zlib: expect a gzip header and trailer


@dataclass(frozen=True)
class DecodedLines:
    """The complete lines of a file and, if it broke, the reason and its partial tail.

    Attributes:
        lines: every complete line, without its newline, in file order.
        problem: why the stream ended early (None when it ended cleanly).
        tail: the incomplete last line when the stream broke (may be empty).
    """

    lines: list[bytes]
    problem: str | None = None
    tail: bytes = b""


def decompress_tolerant(data: bytes) -> tuple[bytes, str | None]:
    """Decompress every gzip member in `data`, stopping at the first broken one.

    Args:
        data: the file's bytes.

    Returns:
        The bytes decompressed before any failure, and the failure (None if none).
    """
    out = bytearray()
    view = memoryview(data)
    pos = 0
    while pos < len(data):
        decoder = zlib.decompressobj(_GZIP_WBITS)
        try:
            out += decoder.decompress(view[pos:])
            out += decoder.flush()
        except zlib.error as exc:
            what = "not a gzip file" if pos == 0 and not out else "corrupt gzip data"
            return bytes(out), f"{what} ({exc})"
        if not decoder.eof:
            return bytes(out), "truncated gzip member: the file ends before the end of the stream"
        rest = decoder.unused_data
        if not rest.strip(b"\x00"):
            break  # trailing zero padding, as gzip(1) tolerates
        pos = len(data) - len(rest)
    return bytes(out), None


def split_lines(data: bytes) -> DecodedLines:
    """Decompress `data` and split it into lines on newline bytes.

    Args:
        data: the gzip'd file.

    Returns:
        The complete lines; if the stream broke, the problem and the partial last line.
    """
    text, problem = decompress_tolerant(data)
    parts = text.split(b"\n")
    last = parts.pop()  # after the final newline: b"" for a well-ended file
    if problem is None:
        if last:
            parts.append(last)  # a last line without a newline is still a line
        return DecodedLines(parts)
    return DecodedLines(parts, problem, last)
