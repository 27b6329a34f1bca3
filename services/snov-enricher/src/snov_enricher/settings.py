"""snov-enricher settings, from ``LEADPIPE_*`` environment variables."""

from __future__ import annotations

from leadpipe_runtime import BaseSettings, Secret


class Settings(BaseSettings, frozen=True, kw_only=True):
    """Settings of snov-enricher; see ``BaseSettings`` for the shared ones.

    Attributes:
        snov_api_url / snov_client_id / snov_client_secret: The Snov.io API and credentials.
        public_webhook_url: Public base URL of webhook-receiver; Snov.io pushes results to
            ``<it>/webhooks/snov/<token>``. Empty: no webhooks, results are polled.
        webhook_secret: HMAC key shared with webhook-receiver for the URL tokens.
        snov_rate_limit / snov_rate_window_seconds / snov_rate_guard_seconds: Client-side pacing
            (60 requests per 60 s, the window widened by the guard).
        snov_timeout_seconds: Per-request timeout.
        monthly_budget: Credits the enricher may spend per calendar month (UTC).
        daily_cap: Credits it may spend per day (None: no cap).
        include_unknown: Make contacts of ``unknown`` (unverifiable, e.g. catch-all) e-mails too.
        batch_fill_wait_seconds: A batch with fewer than 10 items waits this long for more.
        webhook_timeout_seconds: Poll a task's result when no webhook came within this time.
        poll_interval_seconds: Then poll this often while it is in progress.
        task_timeout_seconds: Give a started task up (its items back to pending) after this.
        orphan_timeout_seconds: Give up a batch whose start call's answer was lost, if no
            webhook revealed its task by then.
        max_attempts: Searches of one item before it is marked failed.
        balance_check_seconds: Re-read get-balance before a batch when older than this.
        balance_recheck_seconds: While paused for lack of credits, re-read it this often.
        tick_seconds: The scheduler's idle wake-up interval.
    """

    ops_port: int = 9104
    snov_api_url: str = "https://api.snov.io"
    snov_client_id: str
    snov_client_secret: Secret
    public_webhook_url: str = ""
    webhook_secret: Secret
    snov_rate_limit: int = 60
    snov_rate_window_seconds: float = 60.0
    snov_rate_guard_seconds: float = 1.0
    snov_timeout_seconds: float = 30.0
    monthly_budget: int = 5_000
    daily_cap: int | None = None
    include_unknown: bool = False
    batch_fill_wait_seconds: float = 30.0
    webhook_timeout_seconds: float = 300.0
    poll_interval_seconds: float = 60.0
    task_timeout_seconds: float = 6 * 3600.0
    orphan_timeout_seconds: float = 2 * 3600.0
    max_attempts: int = 3
    balance_check_seconds: float = 300.0
    balance_recheck_seconds: float = 900.0
    tick_seconds: float = 1.0

    def __post_init__(self) -> None:
        if len(self.webhook_secret.reveal()) < 16:
            raise ValueError("LEADPIPE_WEBHOOK_SECRET must be at least 16 characters")
        if self.monthly_budget < 0 or (self.daily_cap is not None and self.daily_cap < 0):
            raise ValueError("budgets cannot be negative")
        if self.snov_rate_limit < 1 or self.snov_rate_window_seconds <= 0:
            raise ValueError("LEADPIPE_SNOV_RATE_LIMIT and its window must be positive")
