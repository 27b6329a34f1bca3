"""Stable, seed-derived randomness.

Outcomes are hashed from ``(seed, key parts)`` rather than drawn from a shared random stream, so the
answer for one company or person does not depend on what was asked before it, and two runs with the
same seed agree even when requests arrive in a different order.
"""

from __future__ import annotations

import hashlib
import string
import uuid
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

_ALNUM = string.ascii_letters + string.digits


def _digest(seed: int, parts: Sequence[object]) -> bytes:
    text = "\x1f".join([str(seed), *(str(p) for p in parts)])
    return hashlib.blake2b(text.encode("utf-8"), digest_size=32).digest()


def stable_fraction(seed: int, *parts: object) -> float:
    """A number in [0, 1) fixed by the seed and the parts."""
    return int.from_bytes(_digest(seed, parts)[:8], "big") / 2**64


def stable_choice(seed: int, options: Sequence[T], *parts: object) -> T:
    """One of ``options``, fixed by the seed and the parts."""
    if not options:
        raise ValueError("stable_choice needs at least one option")
    return options[int(stable_fraction(seed, *parts) * len(options))]


def stable_hex(seed: int, *parts: object, length: int = 32) -> str:
    """Lower-case hex of ``length`` characters (at most 64), fixed by the seed and the parts."""
    return _digest(seed, parts).hex()[:length]


def stable_token(seed: int, *parts: object, length: int = 20) -> str:
    """Letters and digits, like GoHighLevel ids, fixed by the seed and the parts."""
    number = int.from_bytes(_digest(seed, parts), "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(_ALNUM))
        chars.append(_ALNUM[index])
    return "".join(chars)


def stable_uuid(seed: int, *parts: object) -> str:
    """A version-4-shaped UUID string fixed by the seed and the parts."""
    return str(uuid.UUID(bytes=_digest(seed, parts)[:16], version=4))
