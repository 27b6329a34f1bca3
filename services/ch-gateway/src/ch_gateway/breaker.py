"""The circuit breaker in front of Companies House: pure state, time passed in.

::

    closed ──429/403──────────────► open (until Reset, or a full window) ──► half_open
    closed ──N failures in a row──► open (cool-down, doubled per failed probe) ──► half_open
    half_open: exactly one probe; success → closed, 429/403/failure → open again
    any ──401──► unauthorised: no call until ``auth_retry`` has passed, then one probe

A 429 means the key is locked out for the rest of the server's window: probing before the
window ends only earns more 429s (and, repeated, a ban), so the breaker opens for every caller
until the advertised reset. Requests are never failed because the breaker is open; they wait.
"""

from __future__ import annotations

import enum
import math
import random


class BreakerState(enum.StrEnum):
    """Where the breaker stands."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"
    UNAUTHORISED = "unauthorised"


class OpenReason(enum.StrEnum):
    """Why the breaker opened."""

    RATE_LIMITED = "rate_limited"  # 429
    IP_LIMITED = "ip_limited"  # 403
    FAILURES = "failures"  # 5xx, timeouts, dropped connections
    UNAUTHORISED = "unauthorised"  # 401


class Breaker:
    """Decides whether a call may start now.

    Args:
        window: The rate-limit window; the lock-out after a 429 without a usable ``Reset``.
        failure_threshold: Consecutive failures that open the breaker.
        cooldown / cooldown_cap: Open time after failures, doubling per failed probe.
        rate_limit_margin: Added to ``Reset`` before the probe.
        auth_retry: Wait after a 401 before one probe.
    """

    def __init__(
        self,
        *,
        window: float,
        failure_threshold: int = 5,
        cooldown: float = 15.0,
        cooldown_cap: float = 300.0,
        rate_limit_margin: float = 1.0,
        auth_retry: float = 300.0,
    ) -> None:
        self._window = window
        self._threshold = failure_threshold
        self._cooldown = cooldown
        self._cooldown_cap = cooldown_cap
        self._margin = rate_limit_margin
        self._auth_retry = auth_retry
        self._state = BreakerState.CLOSED
        self._reason: OpenReason | None = None
        self._open_until = -math.inf
        self._failures = 0
        self._trips = 0
        self._probing = False

    @property
    def reason(self) -> OpenReason | None:
        """Why the breaker is not closed (None when closed)."""
        return self._reason

    @property
    def open_until(self) -> float:
        """When an open breaker lets the probe through."""
        return self._open_until

    def state(self, now: float) -> BreakerState:
        """The state at ``now`` (an expired open period becomes half-open)."""
        closed_for_now = self._state in (BreakerState.OPEN, BreakerState.UNAUTHORISED)
        if closed_for_now and now >= self._open_until:
            return BreakerState.HALF_OPEN
        return self._state

    def next_allowed(self, now: float) -> float | None:
        """When a call may start: ``now`` or later, or None while the probe is out."""
        state = self.state(now)
        if state is BreakerState.CLOSED:
            return now
        if state is BreakerState.HALF_OPEN:
            return None if self._probing else now
        return self._open_until

    def fails_fast(self, now: float) -> bool:
        """Whether new requests should be failed rather than queued (a rejected key)."""
        return self._state is BreakerState.UNAUTHORISED and now < self._open_until

    def on_dispatch(self, now: float) -> None:
        """A call starts; in half-open it is the one probe."""
        if self.state(now) is BreakerState.HALF_OPEN:
            self._state = BreakerState.HALF_OPEN
            self._probing = True

    def on_success(self, now: float) -> None:
        """Companies House answered (any status that is not a limit, auth or server error)."""
        self._state = BreakerState.CLOSED
        self._reason = None
        self._failures = 0
        self._trips = 0
        self._probing = False

    def on_rate_limited(self, now: float, reset_at: float | None, *, ip: bool = False) -> None:
        """A 429 (or a 403 IP limit): locked out until ``reset_at``, or a full window."""
        if reset_at is None or reset_at <= now or reset_at > now + 2 * self._window:
            until = now + self._window
        else:
            until = reset_at
        reason = OpenReason.IP_LIMITED if ip else OpenReason.RATE_LIMITED
        self._open(now, until + self._margin, reason)

    def on_failure(self, now: float) -> bool:
        """A 5xx, timeout or dropped connection; returns whether the breaker opened."""
        self._failures += 1
        probing = self._probing
        if not probing and self._failures < self._threshold:
            return False
        delay = min(self._cooldown_cap, self._cooldown * 2**self._trips)
        self._trips += 1
        delay *= random.uniform(0.9, 1.1)
        self._open(now, now + delay, OpenReason.FAILURES)
        return True

    def on_unauthorised(self, now: float) -> None:
        """A 401: the key is rejected."""
        self._state = BreakerState.UNAUTHORISED
        self._reason = OpenReason.UNAUTHORISED
        self._open_until = now + self._auth_retry
        self._probing = False

    def restore(self, open_until: float, reason: OpenReason) -> None:
        """Re-open after a restart or leader change from the persisted state."""
        if open_until > self._open_until:
            self._state = BreakerState.OPEN
            self._reason = reason
            self._open_until = open_until

    def _open(self, now: float, until: float, reason: OpenReason) -> None:
        self._state = BreakerState.OPEN
        self._reason = reason
        # Never shorten a lock-out already in force (a 429's reset outranks a cool-down).
        self._open_until = max(until, self._open_until)
        self._probing = False


def backoff(attempt: int, base: float, cap: float) -> float:
    """Capped exponential back-off with jitter for the ``attempt``-th retry (1-based)."""
    ceiling = min(cap, base * 2.0 ** max(0, attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)
