"""officer-fetcher settings, from ``LEADPIPE_*`` environment variables."""

from leadpipe_runtime import BaseSettings, BusinessHours


class Settings(BaseSettings, frozen=True, kw_only=True):
    """Settings of officer-fetcher; see ``BaseSettings`` for the shared ones.

    Attributes:
        officers_freshness_days: An officer list fetched this recently is not fetched again on a
            new StrikeOffEntered while the company's etag is unchanged.
        retention_days: Officers of a company that left strike-off this long ago are purged
            (``LEADPIPE_RETENTION_DAYS``).
        retention_interval_seconds: How often the retention job looks for expired companies.
        request_bulk_entries: Whether a bulk-sourced StrikeOffEntered queues a low-priority fetch
            by itself; off for deployments that fetch only through ``backfill officers`` (with
            a cutoff).
        low_lane_size: Most low-priority officer requests outstanding at the gateway at once
            (bulk entries and backfills together). Keeps the work queue short, so that pausing
            a backfill takes effect quickly and a huge snapshot never fills the queue.
        request_timeout_seconds: A request unanswered this long is considered lost and queued
            again.
        scheduler_interval_seconds: How often the low lane and backfill jobs are advanced when
            nothing wakes them earlier.
        progress_interval_seconds: Most frequent JobProgress report of a running backfill.
        backfill_hours: When low-priority requests (backfill items, wanted bulk entries) are
            queued, e.g. ``Mon-Fri 18:00-24:00 Europe/London`` (see
            ``leadpipe_runtime.schedule``); empty: always. Stream-triggered requests are never
            held back.
    """

    ops_port: int = 9103
    officers_freshness_days: float = 30.0
    retention_days: float = 90.0
    retention_interval_seconds: float = 3_600.0
    request_bulk_entries: bool = True
    low_lane_size: int = 500
    request_timeout_seconds: float = 3_600.0
    scheduler_interval_seconds: float = 1.0
    progress_interval_seconds: float = 5.0
    backfill_hours: str = ""

    def __post_init__(self) -> None:
        if self.low_lane_size < 1:
            raise ValueError("LEADPIPE_LOW_LANE_SIZE must be >= 1")
        if min(self.officers_freshness_days, self.retention_days) < 0:
            raise ValueError("freshness and retention periods must not be negative")
        if (
            min(
                self.retention_interval_seconds,
                self.request_timeout_seconds,
                self.scheduler_interval_seconds,
                self.progress_interval_seconds,
            )
            <= 0
        ):
            raise ValueError("intervals and timeouts must be > 0")
        try:
            BusinessHours.parse(self.backfill_hours)
        except ValueError as exc:
            raise ValueError(f"LEADPIPE_BACKFILL_HOURS: {exc}") from exc
