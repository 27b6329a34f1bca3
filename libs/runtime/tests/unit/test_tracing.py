"""Tracing helpers: stored trace context, HTTP client spans, and OTLP export when configured."""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from leadpipe_bus.telemetry import Attr, Value
from leadpipe_runtime.tracing import (
    client_span,
    context_of,
    continued,
    current_traceparent,
    link_current_span,
    record_status,
)

tracer = trace.get_tracer(__name__)


def test_a_stored_traceparent_names_the_span_it_was_taken_in(
    span_exporter: InMemorySpanExporter,
) -> None:
    assert current_traceparent() is None
    with tracer.start_as_current_span("queued") as span:
        stored = current_traceparent()
    context = span.get_span_context()
    flags = int(context.trace_flags)
    assert stored == f"00-{context.trace_id:032x}-{context.span_id:016x}-{flags:02x}"
    restored = context_of(stored)
    assert restored is not None
    assert trace.get_current_span(restored).get_span_context().span_id == context.span_id


@pytest.mark.parametrize(
    "stored", [None, "", "not-a-traceparent", "00-" + "0" * 32 + "-" + "0" * 16 + "-01"]
)
def test_an_unusable_traceparent_continues_nothing(stored: str | None) -> None:
    assert context_of(stored) is None


def test_work_for_several_traces_continues_the_first_and_links_the_others(
    span_exporter: InMemorySpanExporter,
) -> None:
    with tracer.start_as_current_span("first") as first:
        one = current_traceparent()
    with tracer.start_as_current_span("second") as second:
        two = current_traceparent()
    with continued("batch", [None, one, two, one]) as batch:
        pass
    context = batch.get_span_context()
    assert context.trace_id == first.get_span_context().trace_id
    recorded = span_exporter.get_finished_spans()
    span = next(s for s in recorded if s.context is not None and s.context == context)
    assert span.parent is not None
    assert span.parent.span_id == first.get_span_context().span_id
    assert [link.context.span_id for link in span.links] == [second.get_span_context().span_id]


def test_a_span_that_cannot_continue_a_trace_links_to_it(
    span_exporter: InMemorySpanExporter,
) -> None:
    with tracer.start_as_current_span("origin") as origin:
        stored = current_traceparent()
    with tracer.start_as_current_span("push") as push:
        link_current_span([stored, None, stored])
    span = next(
        s for s in span_exporter.get_finished_spans() if s.context == push.get_span_context()
    )
    assert span.context is not None
    assert span.context.trace_id != origin.get_span_context().trace_id
    assert [link.context.span_id for link in span.links] == [origin.get_span_context().span_id]


def test_a_client_span_names_the_route_and_records_a_failure_by_type_only(
    span_exporter: InMemorySpanExporter,
) -> None:
    with client_span(Value.SNOV, "POST", "http://127.0.0.1:8123/", "/v1/start") as span:
        record_status(span, 503)
    with (
        pytest.raises(ValueError, match=r"jane@example\.com"),
        client_span(Value.GOHIGHLEVEL, "GET", "https://api.example.com", "/contacts") as failing,
    ):
        raise ValueError("refused jane@example.com")
    recorded = {s.context.span_id: s for s in span_exporter.get_finished_spans() if s.context}
    answered = recorded[span.get_span_context().span_id]
    assert answered.name == "POST /v1/start"
    assert answered.kind is trace.SpanKind.CLIENT
    assert dict(answered.attributes or {}) == {
        Attr.PEER_SERVICE: Value.SNOV,
        Attr.HTTP_METHOD: "POST",
        Attr.URL_TEMPLATE: "/v1/start",
        Attr.SERVER_ADDRESS: "127.0.0.1",
        Attr.SERVER_PORT: 8123,
        Attr.HTTP_STATUS: 503,
        Attr.ERROR_TYPE: "503",
    }
    assert answered.status.status_code is trace.StatusCode.ERROR
    raised = recorded[failing.get_span_context().span_id]
    assert (raised.attributes or {})[Attr.ERROR_TYPE] == "ValueError"
    assert raised.status.status_code is trace.StatusCode.ERROR
    assert not raised.events  # the message (with its e-mail address) is not recorded


class _Collector(http.server.BaseHTTPRequestHandler):
    paths: list[str] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        _Collector.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def collector() -> Iterator[str]:
    """A loopback HTTP server standing in for an OTLP collector."""
    _Collector.paths = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


EXPORTING = """
from opentelemetry import trace
from leadpipe_runtime import configure_tracing
provider = configure_tracing("officer-fetcher")
with trace.get_tracer("probe").start_as_current_span("probe"):
    pass
assert provider.force_flush(10_000)
"""


def test_spans_are_exported_over_otlp_when_an_endpoint_is_set(collector: str) -> None:
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": collector}
    subprocess.run([sys.executable, "-c", EXPORTING], env=env, check=True, timeout=60)
    assert "/v1/traces" in _Collector.paths


def test_nothing_is_exported_without_an_endpoint(collector: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_EXPORTER_OTLP")}
    subprocess.run([sys.executable, "-c", EXPORTING], env=env, check=True, timeout=60)
    assert _Collector.paths == []
