"""A rolling-window request counter: at most ``limit`` accepted events in any ``window`` seconds.

A rolling log is the strictest reading of "N requests per window": a client that stays under it
also stays under any fixed-window implementation the real service might use.
"""

from __future__ import annotations

from collections import deque


class RollingWindow:
    """Accepts an event only if fewer than ``limit`` were accepted in the last ``window`` s."""

    def __init__(self, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate window needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._accepted: deque[float] = deque()

    def _prune(self, now: float) -> None:
        while self._accepted and now - self._accepted[0] >= self.window:
            self._accepted.popleft()

    def try_acquire(self, now: float) -> bool:
        """Record an event at ``now`` if the window has room; rejected events are not recorded."""
        self._prune(now)
        if len(self._accepted) >= self.limit:
            return False
        self._accepted.append(now)
        return True

    def remaining(self, now: float) -> int:
        """How many more events the window would accept at ``now``."""
        self._prune(now)
        return self.limit - len(self._accepted)

    def reset(self) -> None:
        """Forget every accepted event."""
        self._accepted.clear()
