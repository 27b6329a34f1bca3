"""The Companies House quota as a sliding-window log: pure logic, time passed in.

Companies House answers every request with 429 for the rest of its window once a key has made
more than its limit in that window, and bans keys that do it regularly. A token bucket with a
burst allows up to twice the limit in one window, so this limiter keeps the timestamps of the
calls it granted and enforces the law directly:

    for every t: #calls in [t, t + window) <= budget

whatever way the server aligns its windows. Two refinements:

- *Pacing*: calls are spaced ``window / budget`` apart on a virtual schedule (the generic cell
  rate algorithm), with an allowance of ``ceil(budget / slices)`` calls ahead of it. A saturated
  gateway so spends its budget evenly over the window (short waits for urgent work, no bursts
  at the server) instead of all at once. Because the schedule is virtual, a call that starts a
  little late does not push every later call back: lateness up to the allowance is caught up,
  so pacing costs no throughput.
- *Adaptation*: the ``X-Ratelimit-*`` response headers can only tighten the limiter — a lower
  ``Limit``, a longer ``Window``, or a ``Remain`` that says the server has counted more calls
  than we did (another client of the key, or calls before a restart) — never loosen it.

Every method takes the current time; nothing here reads a clock, so the law can be
property-tested on a virtual clock.
"""

from __future__ import annotations

import bisect
import copy
import dataclasses
import math
import re
from collections.abc import Iterable, Mapping

_WINDOW = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3_600.0}


class SlidingWindowLimiter:
    """At most ``budget`` calls in any ``window`` seconds (see the module docstring).

    Args:
        budget: Calls allowed in any trailing window.
        window: The window in seconds.
        slices: Pacing allowance: ``ceil(budget / slices)`` calls may go ahead of the even
            schedule; 1 allows the whole budget at once (no pacing).
        history: Times of calls already made, or upper bounds of them (e.g. loaded after a
            restart); counting a call later than it was made is always safe.
    """

    def __init__(
        self, budget: int, window: float, *, slices: int = 1, history: Iterable[float] = ()
    ) -> None:
        if budget < 1 or window <= 0 or slices < 1:
            raise ValueError("budget and slices must be >= 1 and window > 0")
        self._budget = budget
        self._window = window
        self._slices = slices
        self._retention = window
        self._times: list[float] = sorted(history)
        # Calls started and not yet answered: the server may count them at any moment until
        # their reply, so they are in every window until then (see ``start``/``settle``).
        self._open = 0
        # Theoretical time of the next call on the even schedule.
        self._scheduled = -math.inf
        for at in self._times:
            self._scheduled = max(self._scheduled, at) + self.interval
        self._hint_until = -math.inf
        self._hint_left = 0
        self._hint_basis = -math.inf
        # Each announced Reset -> when its first reply reached us.
        self._window_seen: dict[float, float] = {}

    @property
    def budget(self) -> int:
        """Calls allowed in any trailing window (after any tightening)."""
        return self._budget

    @property
    def window(self) -> float:
        """The window in seconds (after any tightening)."""
        return self._window

    @property
    def burst(self) -> int:
        """Calls that may go at once, ahead of the even schedule."""
        return max(1, math.ceil(self._budget / self._slices))

    @property
    def interval(self) -> float:
        """Spacing of the even schedule: ``window / budget``."""
        return self._window / self._budget

    def next_allowed(self, now: float) -> float:
        """The earliest time (>= ``now``) at which one more call keeps every law.

        The answer is exact while no call is recorded in between: waiting until it and calling
        then is allowed; calling earlier is not.
        """
        self._prune(now)
        times = self._times
        count = len(times)
        # Answered calls may still fill the window; open ones fill every window.
        room = self._budget - self._open
        if room <= 0:
            return math.inf
        allowed = now
        if count >= room:
            allowed = max(allowed, times[count - room] + self._window)
        allowed = max(allowed, self._scheduled - (self.burst - 1) * self.interval)
        if self._hint_left <= 0 and now < self._hint_until:
            allowed = max(allowed, self._hint_until)
        return allowed

    def start(self, at: float) -> None:
        """Count a call decided at ``at`` that is now on its way (every upstream call: pages,
        retries and probes); ``settle`` it when it is answered or has failed.

        The server counts a call when it arrives, which can be well after the decision (a busy
        event loop, a slow connect). Until the call is settled it is counted in every window,
        so a late arrival can never put more than the budget into the server's window.
        """
        self._open += 1
        self._scheduled = max(self._scheduled, at) + self.interval
        if at >= self._hint_basis:
            self._hint_left -= 1

    def settle(self, at: float) -> None:
        """A started call ended at ``at`` (reply or failure): from now on it counts at ``at``,
        which is no earlier than the server can have received it."""
        if self._open <= 0:
            raise RuntimeError("settle() without a started call")
        self._open -= 1
        bisect.insort(self._times, at)

    def record(self, at: float) -> None:
        """Count a call made and answered at ``at`` (``start`` and ``settle`` at once)."""
        self.start(at)
        self.settle(at)

    @property
    def open(self) -> int:
        """Calls started and not yet settled."""
        return self._open

    def used(self, now: float) -> int:
        """Calls in the trailing window ending at ``now`` (and any counted after it), open
        calls included."""
        settled = len(self._times) - bisect.bisect_right(self._times, now - self._window)
        return settled + self._open

    def grantable(self, now: float, until: float, *, at_most: int | None = None) -> int:
        """Calls that could be granted in ``[now, until)`` if each went as early as allowed,
        counting no further than ``at_most`` (for sizing reservations; a prediction: nothing is
        recorded)."""
        probe = copy.copy(self)
        probe._times = list(self._times)
        count, at = 0, now
        limit = self._budget if at_most is None else min(self._budget, at_most)
        while count < limit:
            at = probe.next_allowed(at)
            if at >= until:
                break
            probe.record(at)
            count += 1
        return count

    def remaining(self, now: float) -> int:
        """Calls still allowed in the trailing window ending at ``now`` (ignoring pacing)."""
        return max(0, self._budget - self.used(now))

    def history(self, now: float) -> list[float]:
        """The recorded calls that still matter at ``now``."""
        self._prune(now)
        return list(self._times)

    def tighten(self, *, budget: int | None = None, window: float | None = None) -> None:
        """Lower the budget or lengthen the window (never the other way)."""
        if budget is not None and 1 <= budget < self._budget:
            self._budget = budget
        if window is not None and window > self._window:
            self._window = window
            self._retention = max(self._retention, window)

    def observe(
        self,
        *,
        remaining: int,
        reset_at: float,
        dispatched_at: float,
        replied_at: float | None = None,
    ) -> None:
        """Take the server's ``Remain``/``Reset`` into account until its window ends.

        ``remaining`` was computed when the call dispatched at ``dispatched_at`` arrived; calls
        dispatched after it, or with it, may or may not be included, so they are assumed not to
        be (conservative). Older observations than the latest one are ignored.

        ``Reset`` is whole epoch seconds, rounded up, on the server's clock, so it can be up to
        a second after the window really ends. The window began no later than the first reply
        announcing this ``Reset`` reached us (``replied_at``), so it ends no later than that
        plus the window: waiting for the earlier of the two is safe, loses at most a round
        trip per window, and needs no agreement between the two clocks.
        """
        if replied_at is not None:
            seen = self._window_seen.get(reset_at)
            if seen is None or replied_at < seen:
                self._window_seen[reset_at] = replied_at
            while len(self._window_seen) > 4:
                del self._window_seen[min(self._window_seen)]
        if dispatched_at < self._hint_basis:
            return
        # Calls decided at the same instant (one batch) may reach the server after this one,
        # and so may every open call; the observed call itself is settled already.
        settled_since = len(self._times) - bisect.bisect_left(self._times, dispatched_at)
        later = max(0, settled_since - 1) + self._open
        self._hint_basis = dispatched_at
        end = reset_at
        if (seen := self._window_seen.get(reset_at)) is not None:
            end = min(end, seen + self._window)
        self._hint_until = end
        self._hint_left = remaining - later

    def _prune(self, now: float) -> None:
        # Only for memory: the laws above index from the newest call, so stale entries at the
        # front never change an answer.
        times = self._times
        if len(times) > 2 * self._budget + 16:
            keep = bisect.bisect_left(times, now - 2 * self._retention)
            keep = min(keep, len(times) - self._budget)
            if keep > 0:
                del times[:keep]


@dataclasses.dataclass(frozen=True)
class RateHeaders:
    """The ``X-Ratelimit-*`` headers of one response (each optional)."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None
    window: float | None = None

    @property
    def present(self) -> bool:
        """Whether any rate-limit header was sent."""
        return any(v is not None for v in (self.limit, self.remaining, self.reset_at, self.window))


def parse_window(text: str) -> float | None:
    """``"5m"`` → 300, ``"3s"`` → 3, ``"300"`` → 300; None when not understood."""
    match = _WINDOW.match(text)
    if match is None:
        return None
    value = float(match.group(1)) * _UNITS[match.group(2).lower()]
    return value if value > 0 else None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value.strip()))
    except ValueError:
        return None


def parse_rate_headers(headers: Mapping[str, str]) -> RateHeaders:
    """Read ``X-Ratelimit-Limit/Remain(ing)/Reset/Window`` case-insensitively."""
    lowered = {name.lower(): value for name, value in headers.items()}
    remaining = _int(lowered.get("x-ratelimit-remain"))
    if remaining is None:
        remaining = _int(lowered.get("x-ratelimit-remaining"))
    reset = _int(lowered.get("x-ratelimit-reset"))
    window_text = lowered.get("x-ratelimit-window")
    return RateHeaders(
        limit=_int(lowered.get("x-ratelimit-limit")),
        remaining=remaining,
        reset_at=float(reset) if reset is not None else None,
        window=parse_window(window_text) if window_text else None,
    )
