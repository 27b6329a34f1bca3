"""Per-key request budgets with the IETF ``RateLimit-*`` header fields.

A fixed one-minute window per key: cheap (one dict lookup per request), easy to explain in the
headers (``RateLimit-Reset`` is the time to the window's end), and at most twice the budget
across a window boundary, which is acceptable for fairness limiting (unlike the Companies House
limiter, nothing here is punished upstream). Counters are per process.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable


@dataclasses.dataclass(frozen=True)
class Decision:
    """The outcome for one request, and what the headers should say."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    window_seconds: int

    def headers(self) -> dict[str, str]:
        """``RateLimit-Limit``, ``-Remaining``, ``-Reset`` and ``RateLimit-Policy``."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
            "RateLimit-Policy": f"{self.limit};w={self.window_seconds}",
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_seconds)
        return headers


class RateLimiter:
    """Counts requests per key in fixed windows.

    Args:
        window_seconds: Length of one window.
        clock: Monotonic seconds (injectable for tests).
    """

    def __init__(
        self, window_seconds: int = 60, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._window = window_seconds
        self._clock = clock
        self._counts: dict[str, tuple[int, int]] = {}

    def check(self, key: str, limit: int) -> Decision:
        """Count one request for ``key`` against ``limit`` per window."""
        now = self._clock()
        window = int(now // self._window)
        start, count = self._counts.get(key, (window, 0))
        if start != window:
            count = 0
            if len(self._counts) > 100_000:
                self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
        reset = max(1, math.ceil((window + 1) * self._window - now))
        if count >= limit:
            self._counts[key] = (window, count)
            return Decision(False, limit, 0, reset, self._window)
        count += 1
        self._counts[key] = (window, count)
        return Decision(True, limit, limit - count, reset, self._window)
