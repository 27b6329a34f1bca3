"""Deterministic random draws keyed by (seed, entity, purpose).

The population is never materialised, so every company must be re-derivable on its own from
``(seed, index)``. ``random.Random`` costs ~6 µs just to seed, which dominates when millions of
rows are generated; a BLAKE2b digest gives 64 fresh bytes for well under a microsecond, and the
draws below read from those bytes. Determinism is across processes and Python versions (no
``hash()``), which the bulk generator relies on when it renders rows in worker processes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from hashlib import blake2b
from itertools import accumulate
from struct import Struct
from typing import Generic, TypeVar

T = TypeVar("T")

_MASK64 = (1 << 64) - 1
_WORDS = Struct(">16I")


def mix64(value: int) -> int:
    """SplitMix64 finaliser: a fast, well-spread 64-bit hash of an integer."""
    z = (value + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def entity_key(seed: int, entity: int, purpose: bytes) -> bytes:
    """The digest key for one entity and purpose (purposes keep draw streams independent)."""
    return b"%d:%d:" % (seed, entity) + purpose


class Draws:
    """A stream of pseudo-random values derived from a key; same key, same values."""

    __slots__ = ("_block", "_buf", "_key", "_pos", "_words")

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._block = 0
        self._buf = blake2b(key, digest_size=64).digest()
        # Unpacking all sixteen words at once makes each draw a tuple lookup.
        self._words: tuple[int, ...] = _WORDS.unpack(self._buf)
        self._pos = 0

    def _refill(self) -> None:
        self._block += 1
        self._buf = blake2b(self._key + b"#%d" % self._block, digest_size=64).digest()
        self._words = _WORDS.unpack(self._buf)
        self._pos = 0

    def u32(self) -> int:
        """A uniform integer in [0, 2**32)."""
        pos = self._pos
        if pos == 16:
            self._refill()
            pos = 0
        self._pos = pos + 1
        return self._words[pos]

    def below(self, n: int) -> int:
        """An integer in [0, n); the modulo bias is < n / 2**32, irrelevant for synthetic data."""
        return self.u32() % n

    def between(self, low: int, high: int) -> int:
        """An integer in [low, high] inclusive."""
        return low + self.u32() % (high - low + 1)

    def pick(self, options: Sequence[T]) -> T:
        """One element of a non-empty sequence, uniformly."""
        return options[self.u32() % len(options)]

    def chance(self, probability: float) -> bool:
        """True with the given probability."""
        return self.u32() < probability * 4294967296.0

    def hex(self, nbytes: int) -> str:
        """``nbytes`` fresh random bytes as lower-case hex (etags, ids), at most 64."""
        self._block += 1
        return blake2b(self._key + b"#%d" % self._block, digest_size=nbytes).hexdigest()

    def raw(self, nbytes: int) -> bytes:
        """``nbytes`` fresh random bytes (identifiers encoded differently), at most 64."""
        self._block += 1
        return blake2b(self._key + b"#%d" % self._block, digest_size=nbytes).digest()


class Weighted(Generic[T]):
    """A fixed weighted choice; weights are integers so the table is exact and cheap."""

    __slots__ = ("_cumulative", "_total", "_values")

    def __init__(self, pairs: Sequence[tuple[T, int]]) -> None:
        self._values = [value for value, _ in pairs]
        self._cumulative = list(accumulate(weight for _, weight in pairs))
        self._total = self._cumulative[-1]

    @property
    def values(self) -> list[T]:
        return list(self._values)

    def pick(self, draws: Draws) -> T:
        return self._values[bisect_right(self._cumulative, draws.u32() % self._total)]

    def pick_by(self, roll: int) -> T:
        """Pick with an externally supplied roll (any non-negative integer)."""
        return self._values[bisect_right(self._cumulative, roll % self._total)]
