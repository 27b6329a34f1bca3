"""Call slots written to the call log before they are used: pure logic, time passed in.

The law "a restart never grants a fresh burst" needs every call in the persisted log *before*
it is made. Writing each call just before making it puts a database round trip on every call's
path; instead the leader writes a small block of slots ahead — ``count`` rows at ``until``, the
latest time any of them may be used — and spends them without further writes. A new leader
reads every slot as a call made at ``until``: no earlier than the call really was, so it never
under-counts, and a slot that was never used only makes it more careful.
"""

from __future__ import annotations

import collections
import dataclasses


@dataclasses.dataclass
class _Block:
    until: float
    left: int


class Reservations:
    """The slots this leader has persisted and not used yet, oldest block first."""

    def __init__(self) -> None:
        self._blocks: collections.deque[_Block] = collections.deque()

    def add(self, count: int, until: float) -> None:
        """Slots persisted at ``until``; each may be used strictly before it."""
        if count > 0:
            self._blocks.append(_Block(until, count))
            if len(self._blocks) > 1 and self._blocks[-2].until > until:
                # Spend the block that expires first first (the clock may have stepped back).
                self._blocks = collections.deque(sorted(self._blocks, key=lambda b: b.until))

    def valid(self, now: float) -> int:
        """Slots usable at ``now``."""
        self._expire(now)
        return sum(block.left for block in self._blocks)

    def take(self, now: float) -> bool:
        """Use one slot for a call decided at ``now``; False when none is left."""
        self._expire(now)
        if not self._blocks:
            return False
        block = self._blocks[0]
        block.left -= 1
        if block.left == 0:
            self._blocks.popleft()
        return True

    def clear(self) -> None:
        """Forget every slot (leadership ended: the next leader counts them as calls)."""
        self._blocks.clear()

    def _expire(self, now: float) -> None:
        # Blocks are kept in order of ``until``, so expired ones are at the front.
        while self._blocks and self._blocks[0].until <= now:
            self._blocks.popleft()
