"""Message headers: de-duplication id, event type and W3C trace context.

Metadata travels in headers so the msgspec body stays pure domain data.
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import context as otel_context
from opentelemetry import propagate

MSG_ID = "Nats-Msg-Id"
EVENT_TYPE = "Leadpipe-Event-Type"
PRODUCER = "Leadpipe-Producer"


def inject_trace(
    headers: dict[str, str], context: otel_context.Context | None = None
) -> dict[str, str]:
    """Add the trace context (``traceparent``/``tracestate``) of ``context`` to ``headers``.

    Without ``context``, the current one: a message published while handling another continues
    that message's trace.
    """
    propagate.inject(headers, context=context)
    return headers


def extract_trace(headers: Mapping[str, str] | None) -> otel_context.Context:
    """The trace context a message carries (empty when it carries none)."""
    return propagate.extract(dict(headers or {}))
