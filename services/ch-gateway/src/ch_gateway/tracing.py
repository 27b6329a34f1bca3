"""The gateway's spans: a request's trace runs through its wait, the call and the answer.

The feeder opens a CONSUMER span per request message (continuing the requester's trace); the
waiter keeps that span's context. One Companies House call may serve several coalesced requests:
its span is a child of the first request's trace and links to the others. Each answer is
published in its own request's context, so the requester's consumer continues its own trace.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from opentelemetry import context as otel_context
from opentelemetry import trace

from leadpipe_bus.telemetry import Attr, SpanName

if TYPE_CHECKING:
    from ch_gateway.gateway import Waiter
    from ch_gateway.scheduler import Job

tracer = trace.get_tracer(__name__)


@contextlib.contextmanager
def calling(job: Job[Waiter]) -> Iterator[trace.Span]:
    """The span of one upstream call for ``job``'s requests."""
    contexts = [waiter.trace for waiter in job.waiters]
    links = [
        trace.Link(span_context)
        for context in contexts[1:]
        if (span_context := trace.get_current_span(context).get_span_context()).is_valid
    ]
    attributes: dict[str, str | int] = {
        Attr.GATEWAY_REQUEST_KIND: job.target.kind.value,
        Attr.GATEWAY_COALESCED: len(job.waiters),
        Attr.GATEWAY_CALLS: job.calls,
    }
    if job.target.company_number:
        attributes[Attr.COMPANY_NUMBER] = job.target.company_number
    if job.waiters:
        attributes[Attr.GATEWAY_PRIORITY] = min(job.waiters, key=lambda w: w.rank).priority.value
    with tracer.start_as_current_span(
        SpanName.GATEWAY_CALL,
        context=contexts[0] if contexts else None,
        links=links,
        attributes=attributes,
        record_exception=False,
    ) as span:
        yield span


@contextlib.contextmanager
def answering(waiter: Waiter) -> Iterator[None]:
    """Make ``waiter``'s request trace current while its answer is published."""
    token = otel_context.attach(waiter.trace)
    try:
        yield
    finally:
        otel_context.detach(token)
