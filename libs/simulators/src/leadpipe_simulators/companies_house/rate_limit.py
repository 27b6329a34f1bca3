"""The Companies House REST rate limit: a fixed window per key that starts at the first request.

Documented behaviour (A.5, reliability.md §5.1): L requests (600) per window W (5 minutes) per
API key; once exceeded, every request gets 429 until the window ends, then the allowance resets.
The 2020 header capture shows ``X-Ratelimit-Reset`` = first request + 300 s, i.e. the window
starts at the first request rather than on a wall-clock boundary. The same class serves the
per-IP limit (answered with 403 by the caller).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .clock import Clock


def window_label(seconds: float) -> str:
    """``X-Ratelimit-Window`` text: "5m" for 300 s, "3s" for 3 s."""
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{seconds:g}s"


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    window_end: float  # exact end of the window on the injected clock
    window: float

    @property
    def reset(self) -> int:
        """Epoch seconds for ``X-Ratelimit-Reset``; rounded up so a client that waits until
        this instant is always past the window."""
        return math.ceil(self.window_end)

    def headers(self) -> dict[str, str]:
        return {
            "X-Ratelimit-Limit": str(self.limit),
            "X-Ratelimit-Remain": str(self.remaining),
            "X-Ratelimit-Reset": str(self.reset),
            "X-Ratelimit-Window": window_label(self.window),
        }


@dataclass(slots=True)
class _Window:
    start: float
    count: int


class FixedWindowLimiter:
    """Per-key fixed windows of ``window`` seconds allowing ``limit`` requests each."""

    def __init__(self, limit: int, window: float, clock: Clock) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._windows: dict[str, _Window] = {}

    def hit(self, key: str, now: float | None = None) -> Decision:
        """Count one request for ``key`` (arriving at ``now``, default the clock's time) and
        say whether it is allowed."""
        if now is None:
            now = self._clock()
        state = self._windows.get(key)
        if state is None or now >= state.start + self.window:
            state = self._windows[key] = _Window(now, 0)
        state.count += 1
        return Decision(
            allowed=state.count <= self.limit,
            limit=self.limit,
            remaining=max(0, self.limit - state.count),
            window_end=state.start + self.window,
            window=self.window,
        )

    def window_end(self, key: str) -> float | None:
        """End of the current window of ``key`` (None before its first request)."""
        state = self._windows.get(key)
        return None if state is None else state.start + self.window

    def reset(self) -> None:
        self._windows.clear()
