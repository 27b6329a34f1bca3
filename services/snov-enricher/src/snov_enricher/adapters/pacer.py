"""Client-side pacing: at most ``limit`` Snov.io requests in any trailing ``window`` seconds.

Snov.io allows 60 requests per minute and documents neither the response nor any headers when it
is exceeded (reference snov-ghl.md 1.9), so the only safe approach is never to exceed it. A
sliding-window log (not a token bucket, which would allow a burst on top of a full window) shared
by every call, the token request included. ``guard`` widens the window slightly so that network
jitter cannot push two windows' worth of requests into one at the server.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Awaitable, Callable


class Pacer:
    """Grants request slots so that no trailing window holds more than ``limit`` of them."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        guard: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("pacing needs limit >= 1 and a positive window")
        self._limit = limit
        self._window = window + guard
        self._clock = clock
        self._sleep = sleep
        self._granted: collections.deque[float] = collections.deque()
        self._lock = asyncio.Lock()

    @property
    def granted(self) -> tuple[float, ...]:
        """Times of the slots granted within the current window (for tests and metrics)."""
        return tuple(self._granted)

    async def acquire(self) -> None:
        """Wait for a slot; slots are granted in arrival order."""
        async with self._lock:
            while True:
                now = self._clock()
                while self._granted and self._granted[0] <= now - self._window:
                    self._granted.popleft()
                if len(self._granted) < self._limit:
                    self._granted.append(now)
                    return
                # At least a millisecond: float rounding must not leave a zero-length sleep loop.
                await self._sleep(max(self._granted[0] + self._window - now, 0.001))
