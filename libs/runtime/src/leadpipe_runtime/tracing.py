"""OpenTelemetry tracing: set-up, HTTP client spans, and trace context kept in stored state.

``configure_tracing`` installs the process tracer provider, exporting over OTLP/HTTP when
``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set; the exporter
reads the standard ``OTEL_*`` variables itself. Without an endpoint, spans are still created (so
trace ids reach logs and message headers) but not exported.

Messages carry their trace in headers (``leadpipe_bus``). Work that waits in a table instead —
a Snov.io lookup queued until a batch starts — keeps the W3C ``traceparent`` of the span that
queued it in its row (``current_traceparent``) and continues (``context_of``) or links
(``link_to``) from it when it is picked up. Span and attribute names come from
``leadpipe_bus.telemetry``.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from leadpipe_bus.telemetry import Attr, SpanName

_TRACEPARENT = "traceparent"
_w3c = TraceContextTextMapPropagator()
_tracer = trace.get_tracer("leadpipe_runtime.tracing")


def configure_tracing(service: str) -> TracerProvider:
    """Install the process tracer provider for ``service`` (once; later calls return it)."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    ):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter,
        )

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


# -- trace context kept in stored state -----------------------------------------------------------


def current_traceparent() -> str | None:
    """The ``traceparent`` of the current span, to store with work picked up later (None
    outside any trace)."""
    carrier: dict[str, str] = {}
    _w3c.inject(carrier)
    return carrier.get(_TRACEPARENT)


def context_of(traceparent: str | None) -> Context | None:
    """The context a stored ``traceparent`` names, to continue its trace (None if unusable)."""
    if not traceparent:
        return None
    context = _w3c.extract({_TRACEPARENT: traceparent})
    return context if trace.get_current_span(context).get_span_context().is_valid else None


def link_to(traceparent: str | None) -> trace.Link | None:
    """A span link to the span a stored ``traceparent`` names (None if unusable)."""
    context = context_of(traceparent)
    if context is None:
        return None
    return trace.Link(trace.get_current_span(context).get_span_context())


def link_current_span(traceparents: Iterable[str | None]) -> None:
    """Link the current span to each stored trace (where a trace cannot be continued)."""
    span = trace.get_current_span()
    for traceparent in dict.fromkeys(traceparents):
        link = link_to(traceparent)
        if link is not None:
            span.add_link(link.context)


@contextlib.contextmanager
def continued(
    name: str,
    traceparents: Iterable[str | None],
    attributes: dict[str, str | int] | None = None,
) -> Iterator[trace.Span]:
    """A span continuing the first usable stored trace and linking the others.

    Work done for several traces at once (one Snov.io batch for many companies) belongs to each
    of them: it is a child in the first and a link from the rest.
    """
    usable = [p for p in dict.fromkeys(traceparents) if context_of(p) is not None]
    parent = context_of(usable[0]) if usable else None
    links = [link for p in usable[1:] if (link := link_to(p)) is not None]
    with _tracer.start_as_current_span(
        name,
        context=parent,
        links=links,
        attributes=attributes,
        record_exception=False,
    ) as span:
        yield span


# -- HTTP client spans --------------------------------------------------------------------------


@contextlib.contextmanager
def client_span(peer: str, method: str, base_url: str, route: str) -> Iterator[trace.Span]:
    """A CLIENT span for one HTTP request to an external API.

    Args:
        peer: The API (``leadpipe_bus.telemetry.Value``: Companies House, Snov.io, GoHighLevel).
        base_url: The API's base URL: its host and port become ``server.*``.
        route: The path template (``/company/{company_number}/officers``) or a fixed path;
            never a query string.

    The status code is recorded with ``record_status``; an exception leaving the block marks
    the span failed with its type only (messages may quote request data).
    """
    attributes: dict[str, str | int] = {
        Attr.PEER_SERVICE: peer,
        Attr.HTTP_METHOD: method,
        Attr.URL_TEMPLATE: route,
        **_server(base_url),
    }
    with _tracer.start_as_current_span(
        SpanName.http(method, route),
        kind=trace.SpanKind.CLIENT,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield span
        except BaseException as exc:
            span.set_attribute(Attr.ERROR_TYPE, type(exc).__name__)
            span.set_status(trace.StatusCode.ERROR, type(exc).__name__)
            raise


@functools.lru_cache(maxsize=64)
def _server(base_url: str) -> dict[str, str | int]:
    parts = urlsplit(base_url)
    server: dict[str, str | int] = {Attr.SERVER_ADDRESS: parts.hostname or ""}
    if parts.port is not None:
        server[Attr.SERVER_PORT] = parts.port
    return server


def record_status(span: trace.Span, status: int) -> None:
    """Record an HTTP response status on a client span (4xx/5xx mark it failed)."""
    span.set_attribute(Attr.HTTP_STATUS, status)
    if status >= 400:
        span.set_attribute(Attr.ERROR_TYPE, str(status))
        span.set_status(trace.StatusCode.ERROR)
