"""Client-side pacing to GoHighLevel's per-location limits.

``RateBudget`` is the pure decision (no clocks of its own, no sleeping): at most ``burst_limit``
requests in any rolling ``burst_interval`` and at most ``daily_limit`` per UTC day, tightened by
what the server reports in its ``X-RateLimit-*`` headers, and paused after a 429 with exponential
back-off and jitter. ``Pacer`` is the asyncio wrapper every HTTP call goes through.

Why hand-written: a token bucket (aiolimiter) grants a full bucket after idling, which on top of
GoHighLevel's rolling window can exceed 100 calls in a trailing 10 s; a log of calls cannot.

The law: the server sees at most ``burst_limit`` requests in any window of ``burst_interval``,
whatever the network delays. A request reaches the server somewhere between its start and its
response, so the log holds each call as "in flight" (counted, with no expiry) until its response,
and then as the response time (the latest moment it can have arrived). A call starts only while
fewer than ``burst_limit`` logged calls may lie inside the window ending now. Take any server window
and, in it, the call that started last: every other call in the window was then either in flight or
answered within the window, so it was counted, and the window holds at most ``burst_limit`` calls.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import time
from collections.abc import Callable, Mapping

_DAY = 86_400.0
# Added to the window so that a call never starts exactly on its boundary, where rounding (or
# the server's clock tick) could still count the oldest call.
_GUARD = 0.005


def _header(headers: Mapping[str, str], name: str) -> int | None:
    """An integer header, case-insensitive; None if absent or not a number."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            try:
                return int(float(value))
            except ValueError:
                return None
    return None


class RateBudget:
    """When the next request may be sent.

    Times are two clocks: ``now`` (monotonic seconds, for windows and pauses) and ``wall`` (Unix
    seconds, for the UTC day that the daily limit counts).

    Args:
        burst_limit: Requests allowed in any rolling ``burst_interval``.
        burst_interval: Seconds of the rolling window.
        daily_limit: Requests allowed per UTC day.
        backoff_base: First pause after a 429, in seconds.
        backoff_max: Longest pause after repeated 429s.
        rng: Jitter source (seeded in tests).
    """

    def __init__(
        self,
        burst_limit: int,
        burst_interval: float,
        daily_limit: int,
        *,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        rng: random.Random | None = None,
    ) -> None:
        self.configured_limit = burst_limit
        self.burst_limit = burst_limit
        self.burst_interval = burst_interval
        self.daily_limit = daily_limit
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._rng = rng or random.Random()
        # ticket → response time (math.inf while in flight)
        self._calls: dict[int, float] = {}
        self._tickets = itertools.count()
        self._day = -1
        self._used_today = 0
        self._paused_until = 0.0
        self.consecutive_429 = 0

    def _roll(self, now: float, wall: float) -> None:
        horizon = now - self.burst_interval - _GUARD
        for ticket in [t for t, at in self._calls.items() if at <= horizon]:
            del self._calls[ticket]
        day = int(wall // _DAY)
        if day != self._day:
            self._day, self._used_today = day, 0

    def delay(self, now: float, wall: float) -> float:
        """Seconds until a request may be sent (0 means now)."""
        self._roll(now, wall)
        waits = [self._paused_until - now]
        excess = len(self._calls) - self.burst_limit
        if excess >= 0:
            # A slot frees when the (excess+1)-th oldest answered call leaves the window; calls
            # still in flight leave it only after their response, so check again shortly.
            answered = sorted(at for at in self._calls.values() if at != math.inf)
            if excess < len(answered):
                waits.append(answered[excess] + self.burst_interval + _GUARD - now)
            else:
                waits.append(min(0.05, self.burst_interval))
        if self._used_today >= self.daily_limit:
            waits.append((self._day + 1) * _DAY - wall)
        return max(0.0, *waits)

    def record(self, now: float, wall: float) -> int:
        """Count a request starting at ``now``; returns its ticket for ``answered``."""
        self._roll(now, wall)
        ticket = next(self._tickets)
        self._calls[ticket] = math.inf
        self._used_today += 1
        return ticket

    def answered(self, ticket: int, now: float) -> None:
        """The call's response (or failure) arrived at ``now``."""
        if ticket in self._calls:
            self._calls[ticket] = now

    @property
    def in_window(self) -> int:
        """Calls currently counted against the burst window."""
        return len(self._calls)

    @property
    def paused_until(self) -> float:
        """Monotonic time before which nothing is sent (a 429 or an exhausted window)."""
        return self._paused_until

    def _pause(self, until: float) -> None:
        self._paused_until = max(self._paused_until, until)

    def observe(self, headers: Mapping[str, str], now: float, wall: float) -> None:
        """Tighten to what the server reports (another app may share the location's bucket)."""
        maximum = _header(headers, "X-RateLimit-Max")
        if maximum is not None and maximum > 0:
            # Keep a tenth of the server's window in reserve, as the configured budget does.
            self.burst_limit = max(1, min(self.configured_limit, math.floor(maximum * 0.9)))
        interval_ms = _header(headers, "X-RateLimit-Interval-Milliseconds")
        interval = interval_ms / 1000 if interval_ms and interval_ms > 0 else self.burst_interval
        remaining = _header(headers, "X-RateLimit-Remaining")
        if remaining is not None and remaining <= 0:
            # The server's window is full; its oldest request leaves it within one interval.
            self._pause(now + interval)
        daily_remaining = _header(headers, "X-RateLimit-Daily-Remaining")
        if daily_remaining is not None and daily_remaining <= 0:
            self._pause(now + (math.floor(wall / _DAY) + 1) * _DAY - wall)

    def rate_limited(self, headers: Mapping[str, str], now: float, wall: float) -> float:
        """A 429 arrived: pause everyone; returns the pause in seconds.

        The pause doubles with each consecutive 429 up to ``backoff_max``, with equal jitter
        (half fixed, half random) so that several clients do not retry in step.
        """
        self.consecutive_429 += 1
        self.observe(headers, now, wall)
        step = min(self._backoff_max, self._backoff_base * 2.0 ** (self.consecutive_429 - 1))
        pause = step / 2 + self._rng.uniform(0, step / 2)
        self._pause(now + pause)
        return max(pause, self._paused_until - now)

    def succeeded(self) -> None:
        """A call went through: the back-off starts again from its base."""
        self.consecutive_429 = 0


class Pacer:
    """Makes every GoHighLevel call wait for its turn under a ``RateBudget``.

    Args:
        budget: The decision.
        monotonic / wall: Injected clocks.
    """

    def __init__(
        self,
        budget: RateBudget,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.budget = budget
        self._monotonic = monotonic
        self._wall = wall
        self._turn = asyncio.Lock()

    async def acquire(self) -> int:
        """Wait until a request may start and count it; callers are served in arrival order.

        Returns:
            The call's ticket, to hand to ``answered`` when it ends (however it ends).
        """
        async with self._turn:
            wait = self.budget.delay(self._monotonic(), self._wall())
            while wait > 0:
                # A timed wait, not an event: the budget frees up by time passing alone.
                await asyncio.sleep(wait)
                wait = self.budget.delay(self._monotonic(), self._wall())
            return self.budget.record(self._monotonic(), self._wall())

    def answered(self, ticket: int) -> None:
        """The call with ``ticket`` ended."""
        self.budget.answered(ticket, self._monotonic())

    def responded(self, headers: Mapping[str, str]) -> None:
        """A response other than 429 arrived: feed its headers to the budget."""
        self.budget.observe(headers, self._monotonic(), self._wall())
        self.budget.succeeded()

    def rate_limited(self, headers: Mapping[str, str]) -> float:
        """Record a 429; returns the pause it caused."""
        return self.budget.rate_limited(headers, self._monotonic(), self._wall())

    def paused_for(self) -> float:
        """Seconds of pause still ahead (for health reporting)."""
        return max(0.0, self.budget.paused_until - self._monotonic())
