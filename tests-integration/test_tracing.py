"""One trace per company from the Companies House stream to the CRM, on the composed pipeline.

Every service runs in-process with every simulator (as in ``test_end_to_end``); spans are kept in
memory. A company entering proposal to strike off on the stream starts one trace that runs
through stream-ingest, officer-fetcher, ch-gateway (and its Companies House call), snov-enricher
(its Snov.io calls) and crm-sync (its GoHighLevel call). Snov.io's result push cannot carry the
trace: webhook-receiver's span starts a trace of its own, which snov-enricher links to the
company's trace. A Snov.io batch serves several companies: its calls are in the first one's
trace and linked from the others'.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from pipeline import LOCATION, Pipeline

from leadpipe_bus.telemetry import Attr, SpanName, Value
from leadpipe_testing import poll_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

COMPANIES = 4


@pytest.fixture
async def pipeline(
    nats_url: str, database_url: str, namespace: str, span_exporter: InMemorySpanExporter
) -> AsyncIterator[Pipeline]:
    span_exporter.clear()
    running = Pipeline(seed=17)
    try:
        await running.start(nats_url, database_url, namespace)
        yield running
    finally:
        await running.stop()


class Spans:
    """Finished spans, by trace, with the links between traces."""

    def __init__(self, spans: tuple[ReadableSpan, ...]) -> None:
        self.all = spans
        self.by_trace: dict[int, list[ReadableSpan]] = defaultdict(list)
        for span in spans:
            self.by_trace[trace_id(span)].append(span)

    def linking_to(self, trace: int) -> set[int]:
        """Traces holding a span that links to a span of ``trace``."""
        return {
            trace_id(span)
            for span in self.all
            if any(link.context.trace_id == trace for link in span.links)
        }


def trace_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return span.context.trace_id


def attribute(span: ReadableSpan, name: str) -> Any:
    return (span.attributes or {}).get(name)


def roots_of_synced(spans: Spans) -> list[ReadableSpan]:
    """Stream-ingest root spans of traces whose contact crm-sync has finished handling."""
    synced = {
        trace_id(span) for span in spans.all if span.name == SpanName.consume("crm-sync-contacts")
    }
    return [
        span
        for span in spans.all
        if span.name == SpanName.ingest("companies")
        and span.parent is None
        and trace_id(span) in synced
    ]


async def test_a_company_entering_strike_off_is_one_trace_from_the_stream_to_the_crm(
    pipeline: Pipeline, span_exporter: InMemorySpanExporter
) -> None:
    numbers = pipeline.ch.population.strike_off_candidates(COMPANIES)
    for number in numbers:
        pipeline.ch.stream.enter_strike_off(number, "voluntary")

    def traced_to_the_crm() -> list[ReadableSpan]:
        return roots_of_synced(Spans(span_exporter.get_finished_spans()))

    roots = await poll_until(
        traced_to_the_crm, timeout=90, message="a stream event traced to a GoHighLevel upsert"
    )
    root = roots[0]
    number = attribute(root, Attr.COMPANY_NUMBER)
    assert number in numbers
    trace = trace_id(root)
    spans = Spans(span_exporter.get_finished_spans())
    own = spans.by_trace[trace]
    linked = spans.linking_to(trace)
    related = [span for t in {trace, *linked} for span in spans.by_trace[t]]

    # The message hops of the lead path are all in the company's own trace.
    services = {attribute(span, Attr.SERVICE) for span in own if span.kind is SpanKind.CONSUMER}
    assert {"officer-fetcher", "ch-gateway", "snov-enricher", "crm-sync"} <= services
    consumers = {span.name for span in own if span.kind is SpanKind.CONSUMER}
    assert {
        SpanName.ingest("companies"),
        SpanName.consume("officer-fetcher-strikeoff"),
        SpanName.consume("ch-gateway-high"),
        SpanName.consume("officer-fetcher-responses"),
        SpanName.consume("snov-enricher-officers"),
        SpanName.consume("crm-sync-contacts"),
    } <= consumers, consumers
    assert all(
        attribute(span, Attr.COMPANY_NUMBER) == number
        for span in own
        if attribute(span, Attr.COMPANY_NUMBER) is not None
    )

    # External calls: Companies House and GoHighLevel in the trace; Snov.io in it or linked to it
    # (a batch's calls belong to the trace of its first company).
    def client_calls(among: list[ReadableSpan], peer: str) -> set[str]:
        return {
            span.name
            for span in among
            if span.kind is SpanKind.CLIENT and attribute(span, Attr.PEER_SERVICE) == peer
        }

    assert SpanName.http("GET", "/company/{company_number}/officers") in client_calls(
        own, Value.COMPANIES_HOUSE
    )
    assert SpanName.http("POST", "/contacts/upsert") in client_calls(own, Value.GOHIGHLEVEL)
    snov_calls = client_calls(related, Value.SNOV)
    assert {
        SpanName.http("POST", "/v2/company-domain-by-name/start"),
        SpanName.http("GET", "/v2/company-domain-by-name/result"),
        SpanName.http("POST", "/v2/emails-by-domain-by-name/start"),
        SpanName.http("GET", "/v2/emails-by-domain-by-name/result"),
    } <= snov_calls, snov_calls
    # Each item's result is applied in its own company's trace, whatever batch carried it.
    applied = {span.name for span in own}
    assert {SpanName.snov_apply("domain"), SpanName.snov_apply("emails")} <= applied

    # Snov.io's push starts a trace at webhook-receiver; snov-enricher links it to this one.
    push = SpanName.http("POST", "/webhooks/snov/{token}")
    pushes = [
        t
        for t in linked
        if [(s.kind, s.name) for s in spans.by_trace[t] if s.parent is None]
        == [(SpanKind.SERVER, push)]
    ]
    assert pushes, "no webhook-receiver trace linked to the company's trace"
    for t in pushes:
        linking = [
            s for s in spans.by_trace[t] if any(x.context.trace_id == trace for x in s.links)
        ]
        assert {s.name for s in linking} == {SpanName.consume("snov-enricher-webhooks")}

    # No personal data in any attribute: the contacts' e-mail addresses and names are nowhere.
    contacts = pipeline.ghl.contacts(LOCATION)
    personal = {c["email"].lower() for c in contacts} | {
        f"{c.get('firstName', '')} {c.get('lastName', '')}".strip().lower() for c in contacts
    }
    personal.discard("")
    values = [
        str(value).lower() for span in spans.all for value in (span.attributes or {}).values()
    ]
    assert not [p for p in personal for value in values if p in value]
