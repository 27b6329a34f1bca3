"""Prometheus metrics of the event backbone, defined once per process."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from leadpipe_bus.telemetry import Label

MESSAGES = Counter(
    "leadpipe_consumer_messages_total",
    "Messages handled by a consumer, by outcome (ack, nak, dead_letter, cancelled).",
    [Label.CONSUMER, Label.OUTCOME],
)
HANDLE_SECONDS = Histogram(
    "leadpipe_consumer_handle_seconds",
    "Time a handler took per message.",
    [Label.CONSUMER],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
IN_FLIGHT = Gauge("leadpipe_consumer_in_flight", "Messages being handled now.", [Label.CONSUMER])
PUBLISHED = Counter(
    "leadpipe_published_total",
    "Events published, by base subject and whether JetStream reported a duplicate.",
    [Label.SUBJECT, Label.DUPLICATE],
)
PUBLISH_RETRIES = Counter(
    "leadpipe_publish_retries_total", "Publish attempts retried after a timeout or outage."
)
