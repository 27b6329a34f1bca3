"""ch-gateway settings, from ``LEADPIPE_*`` environment variables."""

from __future__ import annotations

from leadpipe_runtime import BaseSettings, Secret


class Settings(BaseSettings, frozen=True, kw_only=True):
    """Settings of ch-gateway; see ``BaseSettings`` for the shared ones.

    Attributes:
        ch_api_url: Base URL of the Companies House REST API (or anything that behaves like it).
        ch_api_key: The REST key, sent as the HTTP Basic username with an empty password.
        ch_rate_limit: Calls Companies House allows per window and key.
        ch_rate_window_seconds: The length of that window.
        ch_rate_guard: Calls kept back from the limit for clock skew and network delay; the
            limiter's budget is ``ch_rate_limit - ch_rate_guard`` calls in any trailing window.
        ch_rate_slices: Pacing: calls are spaced ``window / budget`` apart with an allowance
            of ``ceil(budget / slices)`` calls ahead of that schedule, so a saturated gateway
            spreads its calls evenly over the window instead of spending the whole budget in
            one burst (1 disables pacing).
        call_reservation_seconds: How far ahead call slots are written to the call log
            (at most half the window); a new leader counts unused slots as calls.
        call_timeout_seconds: Total time one upstream call may take.
        max_in_flight: Upstream calls in progress at once.
        max_attempts: Attempts of one call that fails with 5xx, a timeout or a dropped
            connection before its request gets a ``failed`` response.
        retry_base_seconds / retry_cap_seconds: Capped exponential back-off (with jitter)
            between those attempts.
        breaker_failures: Consecutive 5xx/timeouts/connection failures that open the breaker.
        breaker_cooldown_seconds / breaker_cooldown_cap_seconds: How long the breaker stays open
            after such failures; doubled after each failed probe, up to the cap.
        rate_limit_margin_seconds: Extra wait after an upstream ``Reset`` before the probe.
        auth_retry_seconds: After a 401 no call is made for this long; then one probe.
        queue_limit_high / queue_limit_normal / queue_limit_low: Requests of each priority the
            gateway holds in memory at once; the rest wait in JetStream (the durable queue).
        lease_poll_seconds: How often a standby tries to take the leader lease, and the leader
            confirms it still holds it.
        status_interval_seconds: How often ``GatewayStatus`` is published.
        fetch_poll_seconds: Longest a pull request waits for new requests.
    """

    ops_port: int = 9102
    ch_api_url: str = "https://api.company-information.service.gov.uk"
    ch_api_key: Secret
    ch_rate_limit: int = 600
    ch_rate_window_seconds: float = 300.0
    ch_rate_guard: int = 10
    ch_rate_slices: int = 10
    call_reservation_seconds: float = 1.0
    call_timeout_seconds: float = 10.0
    max_in_flight: int = 32
    max_attempts: int = 4
    retry_base_seconds: float = 1.0
    retry_cap_seconds: float = 30.0
    breaker_failures: int = 5
    breaker_cooldown_seconds: float = 15.0
    breaker_cooldown_cap_seconds: float = 300.0
    rate_limit_margin_seconds: float = 1.0
    auth_retry_seconds: float = 300.0
    queue_limit_high: int = 256
    queue_limit_normal: int = 128
    queue_limit_low: int = 64
    lease_poll_seconds: float = 1.0
    status_interval_seconds: float = 10.0
    fetch_poll_seconds: float = 1.0

    def __post_init__(self) -> None:
        if self.ch_rate_limit < 1 or self.ch_rate_window_seconds <= 0:
            raise ValueError("LEADPIPE_CH_RATE_LIMIT must be >= 1 and the window > 0")
        if not 0 <= self.ch_rate_guard < self.ch_rate_limit:
            raise ValueError("LEADPIPE_CH_RATE_GUARD must be >= 0 and below the rate limit")
        if self.ch_rate_slices < 1 or self.max_in_flight < 1 or self.max_attempts < 1:
            raise ValueError("rate slices, max in flight and max attempts must be >= 1")
        if self.call_reservation_seconds <= 0:
            raise ValueError("LEADPIPE_CALL_RESERVATION_SECONDS must be > 0")
        if min(self.queue_limit_high, self.queue_limit_normal, self.queue_limit_low) < 1:
            raise ValueError("queue limits must be >= 1")

    @property
    def budget(self) -> int:
        """Calls the limiter allows in any trailing window."""
        return self.ch_rate_limit - self.ch_rate_guard
