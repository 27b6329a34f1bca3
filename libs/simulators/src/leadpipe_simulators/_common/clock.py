"""The simulated clock.

Simulated time is ``start + (source() - source_at_creation) * time_scale + advanced``, where
``source`` is any callable returning seconds (``time.time`` by default, or a test's fake clock),
``time_scale`` accelerates real time (1000 means one real millisecond is one simulated second) and
``advanced`` is what :meth:`SimClock.advance` added by hand. Everything time-related in the
simulators (token expiry, task processing delays, rate-limit windows, webhook retry ladders) reads
this clock, so tests can cover hours of behaviour in a fraction of a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

# Waiters re-read the clock at least this often (real seconds): an injected time source can move
# without telling anyone, so a wait cannot rely on real elapsed time alone.
_MAX_REAL_WAIT = 0.05


class SimClock:
    """Simulated seconds since the Unix epoch, optionally accelerated and advanceable."""

    def __init__(
        self,
        source: Callable[[], float] = time.time,
        *,
        time_scale: float = 1.0,
        start: float | None = None,
    ) -> None:
        if time_scale <= 0:
            raise ValueError(f"time_scale must be positive, got {time_scale}")
        self._source = source
        self._scale = time_scale
        self._source_origin = source()
        self._sim_origin = self._source_origin if start is None else start
        self._advanced = 0.0
        self._listeners: set[Callable[[], None]] = set()

    @property
    def time_scale(self) -> float:
        """How many simulated seconds pass per second of the time source."""
        return self._scale

    def now(self) -> float:
        """The current simulated time in seconds."""
        elapsed = self._source() - self._source_origin
        return self._sim_origin + elapsed * self._scale + self._advanced

    def __call__(self) -> float:
        """``now()``: the clock as a plain time source, for code that takes any callable."""
        return self.now()

    def advance(self, seconds: float) -> float:
        """Jump forward by ``seconds`` of simulated time and wake every waiter; returns now()."""
        if seconds < 0:
            raise ValueError("the simulated clock only moves forward")
        self._advanced += seconds
        for listener in list(self._listeners):
            listener()
        return self.now()

    def real_seconds_until(self, when: float) -> float:
        """Real seconds to wait until simulated time ``when`` (0 if it has passed)."""
        return max(0.0, (when - self.now()) / self._scale)

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever the clock is advanced by hand."""
        self._listeners.add(listener)

    def remove_listener(self, listener: Callable[[], None]) -> None:
        """Stop calling ``listener`` on advances."""
        self._listeners.discard(listener)

    async def sleep_until(self, when: float) -> None:
        """Return once simulated time has reached ``when``."""
        woken = asyncio.Event()
        self.add_listener(woken.set)
        try:
            while (remaining := self.real_seconds_until(when)) > 0:
                woken.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(woken.wait(), timeout=min(remaining, _MAX_REAL_WAIT))
        finally:
            self.remove_listener(woken.set)
