"""Leadpipe's event backbone on NATS JetStream.

- ``topology``: every stream, subject and durable consumer, declared once; ``apply_topology``
  creates or updates them idempotently.
- ``connect``: a client that never stops reconnecting.
- ``Publisher``: publishes with ``Nats-Msg-Id`` and W3C trace context, retrying until acknowledged.
- ``ConsumerRunner``: maps handler outcomes to ack / nak-with-delay / term + dead letter.
- ``replay``: re-deliver a service's history by resetting its durable consumers.
"""

from leadpipe_bus.apply import apply_topology
from leadpipe_bus.connection import ConnectionState, connect
from leadpipe_bus.deadletter import DeadLetterWriter, list_dead_letters, retry_dead_letter
from leadpipe_bus.errors import HandlerError, PermanentError, PublishError, Retry, TransientError
from leadpipe_bus.publisher import BROKER_UNAVAILABLE, Publisher
from leadpipe_bus.replay import ReplayResult, first_sequence_since, replay
from leadpipe_bus.runner import ConsumerRunner, Delivery, Handler, Subscription
from leadpipe_bus.topology import (
    CONSUMERS,
    SERVICES,
    STREAMS,
    ConsumerSpec,
    StreamSpec,
    Topology,
    subject_for,
)

__all__ = [
    "BROKER_UNAVAILABLE",
    "CONSUMERS",
    "SERVICES",
    "STREAMS",
    "ConnectionState",
    "ConsumerRunner",
    "ConsumerSpec",
    "DeadLetterWriter",
    "Delivery",
    "Handler",
    "HandlerError",
    "PermanentError",
    "PublishError",
    "Publisher",
    "ReplayResult",
    "Retry",
    "StreamSpec",
    "Subscription",
    "Topology",
    "TransientError",
    "apply_topology",
    "connect",
    "first_sequence_since",
    "list_dead_letters",
    "replay",
    "retry_dead_letter",
    "subject_for",
]
