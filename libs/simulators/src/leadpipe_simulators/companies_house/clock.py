"""Clocks the simulators can run on: wall time, a virtual clock and an accelerated clock.

Rate-limit windows, ``X-Ratelimit-Reset`` and ``published_at`` all read the injected clock, so
a test can make a 5-minute window pass in 3 real seconds (``AcceleratedClock(100)``) or step
time explicitly (``VirtualClock``). A client under test must read the same clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]
"""Returns the current time in epoch seconds."""


def wall_clock() -> float:
    return time.time()


class VirtualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: float = 1_793_000_000.0) -> None:
        self._now = start

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time does not go backwards")
        self._now += seconds

    def set(self, now: float) -> None:
        if now < self._now:
            raise ValueError("time does not go backwards")
        self._now = now


class AcceleratedClock:
    """Epoch time that runs ``factor`` times faster than real time from its creation."""

    def __init__(self, factor: float, start: float | None = None) -> None:
        if factor <= 0:
            raise ValueError("factor must be positive")
        self.factor = factor
        self._start = time.time() if start is None else start
        self._origin = time.monotonic()

    def __call__(self) -> float:
        return self._start + (time.monotonic() - self._origin) * self.factor

    def real_seconds(self, simulated: float) -> float:
        """How long ``simulated`` seconds of this clock take in real time."""
        return simulated / self.factor
