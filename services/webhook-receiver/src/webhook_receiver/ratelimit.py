"""A per-source-address request limit: at most N requests in any trailing window.

Kept in memory: a limit per replica is enough to blunt token guessing and floods, and Snov.io's
legitimate pushes are far below it. The number of tracked addresses is bounded so a flood of
spoofed sources cannot exhaust memory (the least recently seen is forgotten first).
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable


class RateLimiter:
    """Sliding-window log per key.

    Args:
        limit: Requests allowed per window.
        window: Window length in seconds.
        max_keys: Addresses tracked at once.
        clock: Monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a positive window")
        self._limit = limit
        self._window = window
        self._max_keys = max_keys
        self._clock = clock
        self._log: collections.OrderedDict[str, collections.deque[float]] = (
            collections.OrderedDict()
        )

    def allow(self, key: str) -> tuple[bool, float]:
        """Count one request for ``key``.

        Returns:
            Whether it is allowed and, when not, the seconds until it would be.
        """
        now = self._clock()
        times = self._log.get(key)
        if times is None:
            times = collections.deque()
            self._log[key] = times
            while len(self._log) > self._max_keys:
                self._log.popitem(last=False)
        else:
            self._log.move_to_end(key)
        while times and times[0] <= now - self._window:
            times.popleft()
        if len(times) >= self._limit:
            return False, times[0] + self._window - now
        times.append(now)
        return True, 0.0
