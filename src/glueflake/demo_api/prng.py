"""Random-access pseudo-random numbers: every value is a pure function of its keys.

Records are generated on demand from ``(seed, id, day)``, never stored, so the
generator must be random-access and cheap (a page of 1,000 orders has a budget
of a few microseconds per record, and pure-Python integer mixing costs about
one microsecond per 64-bit value). Two tools:

- ``block(key, index, width)``: the random words of 1,024 consecutive records at
  once, ``width`` words each, drawn from a Mersenne Twister seeded with
  ``(key, index)`` in C (about 0.3 microseconds per record). Sequential work
  (listing pages, scanning a time window) reads these.
- ``bits(key, value)``: one 64-bit value for scattered lookups (a customer's
  home country from an order, a change slot), CPython's tuple hash (integers
  are not salted, so it is stable across runs) plus one avalanche step, since
  the tuple hash alone leaves sequential inputs correlated.

``step`` (an LCG, use its high bits) stretches one word into a few more.
"""

from __future__ import annotations

import functools
import random
import sys
from array import array

BLOCK = 1_024
"""Records per ``block``."""

MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def mix(value: int) -> int:
    """Scramble one integer into 64 pseudo-random bits (SplitMix64 finaliser).

    Args:
        value: Any integer (reduced modulo 2**64).

    Returns:
        An integer in ``[0, 2**64)``.
    """
    z = (value + _GOLDEN) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def bits(key: int, value: int) -> int:
    """Return 64 pseudo-random bits for ``(key, value)`` (scattered lookups).

    Args:
        key: A stream key (from ``stream_key``).
        value: A record id, slot number or other integer.

    Returns:
        An integer in ``[0, 2**64)``.
    """
    h = hash((key, value)) & MASK64
    h = ((h ^ (h >> 32)) * _GOLDEN) & MASK64
    return h ^ (h >> 32)


@functools.lru_cache(maxsize=256)
def block(key: int, index: int, width: int) -> array[int]:
    """Return the random words of records ``index * BLOCK ... index * BLOCK + 1023``.

    Args:
        key: A stream key (from ``stream_key``).
        index: Block number (record offset // ``BLOCK``).
        width: Words per record; record ``r`` owns ``[r * width, (r + 1) * width)``.

    Returns:
        ``BLOCK * width`` unsigned 64-bit words (cached; do not mutate).
    """
    generator = random.Random((key << 64) | (index & MASK64))
    words = array("Q")
    words.frombytes(generator.randbytes(8 * BLOCK * width))
    if sys.byteorder != "little":  # same numbers on every platform
        words.byteswap()
    return words


def step(state: int) -> int:
    """Advance a 64-bit LCG state (Knuth's MMIX constants); use its high bits.

    Args:
        state: Current state.

    Returns:
        The next state.
    """
    return (state * 6364136223846793005 + 1442695040888963407) & MASK64


def stream_key(seed: int, name: str) -> int:
    """Derive a per-purpose key from the seed so streams never correlate.

    Args:
        seed: The dataset seed.
        name: Name of the stream, e.g. ``"orders"``.

    Returns:
        A 63-bit key.
    """
    h = mix(seed & MASK64)
    for byte in name.encode():
        h = mix(h ^ byte)
    return h >> 1
