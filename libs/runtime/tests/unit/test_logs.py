"""Logs are JSON lines with trace ids, and never carry a secret."""

from __future__ import annotations

import io
import logging

import msgspec
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from leadpipe_runtime import Redactor, configure_logging


def _capture(secrets: list[str]) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    configure_logging("test-service", "DEBUG", secrets=secrets, stream=stream)
    return logging.getLogger("test.logs"), stream


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [msgspec.json.decode(line) for line in stream.getvalue().splitlines()]


def test_records_are_json_with_service_and_extra_fields() -> None:
    logger, stream = _capture([])
    logger.info("officers stored", extra={"company_number": "01234567", "count": 3})
    [line] = _lines(stream)
    assert line["service"] == "test-service"
    assert line["msg"] == "officers stored"
    assert line["company_number"] == "01234567"
    assert line["count"] == 3
    assert line["level"] == "info"


def test_trace_and_span_ids_are_attached_inside_a_span(span_exporter: InMemorySpanExporter) -> None:
    logger, stream = _capture([])
    with trace.get_tracer("t").start_as_current_span("work") as span:
        logger.info("inside")
        expected = format(span.get_span_context().trace_id, "032x")
    [line] = _lines(stream)
    assert line["trace_id"] == expected


def test_registered_secrets_and_credential_shapes_are_redacted() -> None:
    logger, stream = _capture(["super-secret-key-42"])
    logger.warning("calling with key super-secret-key-42")
    logger.warning("headers {'Authorization': 'Basic c3VwZXItc2VjcmV0Og=='}")
    logger.warning("token refresh Bearer eyJhbGciOiJIUzI1NiJ9.abc.def failed")
    logger.warning("connect postgresql://leadpipe:hunter22@db:5432/leadpipe")
    logger.warning("url https://api.snov.io/v1/x?access_token=abcdef123456&y=1")
    text = stream.getvalue()
    for secret in (
        "super-secret-key-42",
        "c3VwZXItc2VjcmV0Og==",
        "eyJhbGciOiJIUzI1NiJ9",
        "hunter22",
        "abcdef123456",
    ):
        assert secret not in text
    assert text.count("***") >= 5


def test_exceptions_are_logged_with_their_traceback_redacted() -> None:
    logger, stream = _capture(["key-0987654321"])
    try:
        raise RuntimeError("upstream refused key-0987654321")
    except RuntimeError:
        logger.exception("call failed")
    [line] = _lines(stream)
    assert "RuntimeError" in str(line["exc"])
    assert "key-0987654321" not in stream.getvalue()


def test_short_values_are_not_treated_as_secrets() -> None:
    assert Redactor(["abc"])("abc and more") == "abc and more"
