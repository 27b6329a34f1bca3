"""Clocks the simulator can run on: wall time, a virtual clock and an accelerated clock.

Rate-limit windows, ``X-Ratelimit-Reset`` and ``published_at`` all read the injected clock, so
a test can make a 5-minute window pass in 3 real seconds (``AcceleratedClock(100)``) or step
time explicitly (``VirtualClock``). A client under test must read the same clock. Both are the
simulators' shared clock (``_common.clock.SimClock``), which is also a plain callable.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from leadpipe_simulators._common.clock import SimClock

Clock = Callable[[], float]
"""Returns the current time in epoch seconds."""


def wall_clock() -> float:
    return time.time()


class VirtualClock(SimClock):
    """A clock that only moves when told to (``advance``, ``set``)."""

    def __init__(self, start: float = 1_793_000_000.0) -> None:
        super().__init__(lambda: 0.0, start=start)

    def set(self, now: float) -> None:
        """Jump to ``now`` (never backwards)."""
        self.advance(now - self.now())


class AcceleratedClock(SimClock):
    """Epoch time that runs ``factor`` times faster than real time from its creation."""

    def __init__(self, factor: float, start: float | None = None) -> None:
        super().__init__(
            time.monotonic, time_scale=factor, start=time.time() if start is None else start
        )
        self.factor = factor

    def real_seconds(self, simulated: float) -> float:
        """How long ``simulated`` seconds of this clock take in real time."""
        return simulated / self.factor
