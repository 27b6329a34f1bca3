"""Invertible mapping between a population index and an 8-character company number.

Every block of 100 consecutive indices holds 5 Scottish (``SC``), 1 Northern Irish (``NI``),
1 LLP (``OC``), 1 limited partnership (``LP``) and 92 plain numbered companies. Within each
class the numbers are spread evenly over the range Companies House has actually issued, so a
small population still has old and new numbers (and incorporation dates that match them).
Numbers are validated with the documented shape: 8 digits, or 2 capital letters + 6 digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

BLOCK: Final = 100
MAX_POPULATION: Final = 19_000_000  # keeps every 6-digit prefixed class inside 999,999

NUMBER_SHAPE: Final = re.compile(r"[0-9]{8}|[A-Z]{2}[0-9]{6}")


@dataclass(frozen=True, slots=True)
class NumberClass:
    """One kind of company number: its prefix, slots in each block and issued range."""

    prefix: str
    first_slot: int
    slots: int
    issued: int  # roughly how far Companies House has counted in this series


CLASSES: Final = (
    NumberClass("SC", 0, 5, 860_000),
    NumberClass("NI", 5, 1, 700_000),
    NumberClass("OC", 6, 1, 460_000),
    NumberClass("LP", 7, 1, 24_000),
    NumberClass("", 8, 92, 16_800_000),
)
_BY_SLOT: Final = tuple(
    next(c for c in CLASSES if c.first_slot <= s < c.first_slot + c.slots) for s in range(BLOCK)
)
_BY_PREFIX: Final = {c.prefix: c for c in CLASSES}


def is_well_formed(number: str) -> bool:
    """True if ``number`` has the documented 8-character shape (upper case)."""
    return NUMBER_SHAPE.fullmatch(number) is not None


class NumberMapping:
    """Company numbers for a population of ``size`` companies."""

    __slots__ = ("_size", "_strides")

    def __init__(self, size: int) -> None:
        if not 0 < size <= MAX_POPULATION:
            raise ValueError(f"population size must be in 1..{MAX_POPULATION}, got {size}")
        self._size = size
        strides: dict[str, int] = {}
        full_blocks, rest = divmod(size, BLOCK)
        for cls in CLASSES:
            count = full_blocks * cls.slots + max(0, min(rest - cls.first_slot, cls.slots))
            width_max = 99_999_999 if not cls.prefix else 999_999
            stride = max(1, cls.issued // (count + 1))
            # A stride that would overflow the field falls back to dense numbering.
            if count * stride + 1 > width_max:
                stride = 1
            strides[cls.prefix] = stride
        self._strides = strides

    @property
    def size(self) -> int:
        return self._size

    def number_of(self, index: int) -> str:
        """The company number of population index ``index``."""
        if not 0 <= index < self._size:
            raise IndexError(index)
        block, slot = divmod(index, BLOCK)
        cls = _BY_SLOT[slot]
        k = block * cls.slots + (slot - cls.first_slot)
        value = 1 + k * self._strides[cls.prefix]
        if cls.prefix:
            return f"{cls.prefix}{value:06d}"
        return f"{value:08d}"

    def index_of(self, number: str) -> int | None:
        """The index of ``number``, or None if it is not a number of this population."""
        if not is_well_formed(number):
            return None
        prefix = "" if number[0].isdigit() else number[:2]
        cls = _BY_PREFIX.get(prefix)
        if cls is None:
            return None
        value = int(number[len(prefix) :])
        stride = self._strides[prefix]
        if value < 1 or (value - 1) % stride:
            return None
        k = (value - 1) // stride
        block, offset = divmod(k, cls.slots)
        index = block * BLOCK + cls.first_slot + offset
        return index if index < self._size else None

    def issued_fraction(self, number: str) -> float:
        """How far through its series ``number`` is (0 = oldest, 1 = newest); drives dates."""
        prefix = "" if number[0].isdigit() else number[:2]
        cls = _BY_PREFIX[prefix]
        return min(1.0, int(number[len(prefix) :]) / cls.issued)
