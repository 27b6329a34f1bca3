"""GoHighLevel's per-location request limits and the X-RateLimit-* headers that report them.

Documented: 100 requests per 10 s (burst) and 200,000 per day, per app and per resource (location).
The simulator keys both on (token, location) and reads the simulated clock. Choices where the docs
are silent: the burst limit is a rolling 10 s window; the daily limit resets at midnight UTC of the
simulated clock; a rejected (429) request does not use up either limit.

Headers on every response to an authenticated request: ``X-RateLimit-Limit-Daily``,
``X-RateLimit-Daily-Remaining``, ``X-RateLimit-Interval-Milliseconds``, ``X-RateLimit-Max``,
``X-RateLimit-Remaining``. No Retry-After (none is documented).
"""

from __future__ import annotations

from dataclasses import dataclass

from leadpipe_simulators._common.rate_window import RollingWindow

_DAY = 86_400.0


@dataclass
class _Bucket:
    burst: RollingWindow
    day: int = -1
    used_today: int = 0


@dataclass(frozen=True)
class RateDecision:
    """Whether a request may proceed and the headers describing the limits after it."""

    allowed: bool
    headers: dict[str, str]


class LocationRateLimiter:
    """Burst and daily limits per (token, location)."""

    def __init__(self, burst_limit: int, burst_interval: float, daily_limit: int) -> None:
        self.configure(burst_limit, burst_interval, daily_limit)

    def configure(self, burst_limit: int, burst_interval: float, daily_limit: int) -> None:
        """Set new limits; counts so far are forgotten."""
        if burst_limit < 1 or burst_interval <= 0 or daily_limit < 1:
            raise ValueError("limits must be positive")
        self.burst_limit = burst_limit
        self.burst_interval = burst_interval
        self.daily_limit = daily_limit
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def reset(self) -> None:
        """Forget every counted request."""
        self._buckets.clear()

    def _bucket(self, key: tuple[str, str], now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(RollingWindow(self.burst_limit, self.burst_interval))
            self._buckets[key] = bucket
        day = int(now // _DAY)
        if bucket.day != day:
            bucket.day, bucket.used_today = day, 0
        return bucket

    def acquire(self, key: tuple[str, str], now: float) -> RateDecision:
        """Count one request if both limits allow it."""
        bucket = self._bucket(key, now)
        allowed = bucket.used_today < self.daily_limit and bucket.burst.try_acquire(now)
        if allowed:
            bucket.used_today += 1
        return RateDecision(allowed, self._headers(bucket, now))

    def headers(self, key: tuple[str, str], now: float) -> dict[str, str]:
        """The headers for ``key`` without counting a request."""
        return self._headers(self._bucket(key, now), now)

    def _headers(self, bucket: _Bucket, now: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit-Daily": str(self.daily_limit),
            "X-RateLimit-Daily-Remaining": str(max(0, self.daily_limit - bucket.used_today)),
            "X-RateLimit-Interval-Milliseconds": str(round(self.burst_interval * 1000)),
            "X-RateLimit-Max": str(self.burst_limit),
            "X-RateLimit-Remaining": str(bucket.burst.remaining(now)),
        }
