"""Configuration of the Companies House simulator (REST, stream and population)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from .clock import Clock, wall_clock
from .population import DEFAULT_AS_OF


@dataclass(frozen=True)
class SimulatorConfig:
    """Every knob of the simulator; defaults follow the documented live behaviour."""

    seed: int = 7
    size: int = 20_000
    as_of: date = DEFAULT_AS_OF  # snapshot date of the base population (and bulk file)
    officer_counts: Mapping[str, int] = field(default_factory=dict)  # number -> forced count

    rest_keys: tuple[str, ...] = ("test-rest-key",)
    stream_keys: tuple[str, ...] = ("test-stream-key",)
    clock: Clock = wall_clock

    # REST rate limits (A.5): per key, fixed window from the first request.
    rate_limit: int = 600
    rate_window: float = 300.0
    # Per-IP limit answered with 403; off unless set (CH staff quote 2,000 per 5 minutes).
    ip_rate_limit: int | None = None
    ip_rate_window: float = 300.0

    # Streaming API (B.3-B.6).
    heartbeat_interval: float = 30.0
    retention: int = 1_000_000  # events kept per stream for ?timepoint= replay
    max_stream_connections: int = 10  # concurrent connections per stream key
    omit_status_detail: bool = False  # profile events without company_status_detail
    live_rate: float = 0.0  # events per second generated in the background (0 = off)
    stream_write_bytes: int = 256 * 1024  # bytes per write when replaying a backlog

    def __post_init__(self) -> None:
        if set(self.rest_keys) & set(self.stream_keys):
            raise ValueError("REST keys and stream keys are different key types on CH")
        if self.heartbeat_interval <= 0 or self.retention < 1 or self.max_stream_connections < 1:
            raise ValueError("heartbeat_interval, retention and max_stream_connections must be > 0")
