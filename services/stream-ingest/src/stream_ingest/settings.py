"""stream-ingest settings, from ``LEADPIPE_*`` environment variables."""

from __future__ import annotations

from leadpipe_runtime import BaseSettings, BusinessHours, Secret

KNOWN_STREAMS = ("companies", "filings", "officers")


class Settings(BaseSettings, frozen=True, kw_only=True):
    """Settings of stream-ingest; see ``BaseSettings`` for the shared ones.

    Attributes:
        ch_stream_url: Base URL of the Companies House Streaming API.
        ch_stream_key: The streaming key; without it no stream is read (bulk imports and gateway
            responses still work, and the health detail says so).
        streams: Streams to follow (``companies``, ``filings``; ``officers`` is optional).
        stream_idle_timeout_seconds: No byte (not even a heartbeat) for this long → reconnect.
        stream_watchdog_minutes: Connected but no data event for this long → ``silent`` (alerting).
        stream_backoff_initial_seconds / stream_backoff_max_seconds: Reconnect backoff bounds.
        stream_rate_limit_wait_seconds: Wait after a 429 (Companies House asks for ≥ 60 s).
        stream_batch_events: Most events decoded, published and checkpointed together.
        signal_grace_seconds: How long a filing signal waits for a profile event that settles it
            before the profile is fetched through the gateway.
        recheck_interval_hours: At most one profile fetch per company within this interval.
        stream_hours: When the streams are followed, e.g. ``Mon-Fri 08:00-18:00 Europe/London``
            (see ``leadpipe_runtime.schedule``); empty: always. Outside the hours no stream is
            connected; at opening time each resumes from its checkpoint.
    """

    ops_port: int = 9101
    ch_stream_url: str = "https://stream.companieshouse.gov.uk"
    ch_stream_key: Secret | None = None
    streams: tuple[str, ...] = ("companies", "filings")
    stream_idle_timeout_seconds: float = 90.0
    stream_watchdog_minutes: float = 30.0
    stream_backoff_initial_seconds: float = 1.0
    stream_backoff_max_seconds: float = 300.0
    stream_rate_limit_wait_seconds: float = 60.0
    stream_batch_events: int = 2_000
    signal_grace_seconds: float = 30.0
    recheck_interval_hours: float = 24.0
    stream_hours: str = ""

    def __post_init__(self) -> None:
        unknown = [name for name in self.streams if name not in KNOWN_STREAMS]
        if unknown:
            raise ValueError(f"unknown stream(s) {unknown}; known: {list(KNOWN_STREAMS)}")
        if self.stream_idle_timeout_seconds <= 0 or self.stream_batch_events < 1:
            raise ValueError("stream idle timeout and batch size must be positive")
        try:
            BusinessHours.parse(self.stream_hours)
        except ValueError as exc:
            raise ValueError(f"LEADPIPE_STREAM_HOURS: {exc}") from exc
