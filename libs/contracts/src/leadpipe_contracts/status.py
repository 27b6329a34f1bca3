"""Operational status that services publish for dashboards and query-api.

Subjects: ``status.stream.<stream>``, ``status.gateway``, ``status.credits``,
``deadletter.<consumer>``.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from leadpipe_contracts._base import Event


class StreamStatus(Event, frozen=True, kw_only=True, tag="status.stream.v1"):
    """The state of one Companies House stream connection.

    Attributes:
        state: ``connected``, ``reconnecting``, ``silent`` (connected, no data events for too
            long: alerting), ``rate_limited``, ``unauthorised``.
        gap_from / gap_to: Set when a 416 forced a resume without a timepoint.
    """

    stream: str
    state: str
    last_timepoint: int | None = None
    last_event_at: dt.datetime | None = None
    gap_from: int | None = None
    gap_to: int | None = None
    detail: str | None = None


class GatewayStatus(Event, frozen=True, kw_only=True, tag="status.gateway.v1"):
    """The gateway's view of the Companies House quota and its queues."""

    limit: int
    window_seconds: float
    used_in_window: int
    breaker: str
    queue_depth: dict[str, int] = msgspec.field(default_factory=dict)
    upstream_remaining: int | None = None
    upstream_reset_at: dt.datetime | None = None


class CreditStatus(Event, frozen=True, kw_only=True, tag="status.credits.v1"):
    """Snov.io credit use for the current billing period."""

    period: str
    budget: int
    reserved: int
    charged: int
    paused: bool
    pause_reason: str | None = None
    balance: float | None = None
    daily_cap: int | None = None
    charged_today: int | None = None


class DeadLetter(Event, frozen=True, kw_only=True, tag="status.deadletter.v1"):
    """A message a consumer gave up on, kept whole so it can be inspected and retried.

    Attributes:
        consumer: Durable consumer name.
        subject: The original subject; a retry republishes there.
        stream_sequence: Position in the original stream.
        data: The original message body, untouched (it may be undecodable).
        headers: The original headers.
        deliveries: How many times it was delivered.
        error: Why it was given up (decode error, permanent error, deliveries exhausted).
    """

    consumer: str
    stream: str
    subject: str
    stream_sequence: int
    data: bytes
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    deliveries: int
    error: str


StatusEvent = StreamStatus | GatewayStatus | CreditStatus
