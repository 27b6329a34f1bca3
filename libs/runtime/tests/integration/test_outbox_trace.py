"""The outbox relays an event in the trace of the transaction that wrote it, not the relay's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client as NatsClient
from nats.js.api import RawStreamMsg
from nats.js.errors import NotFoundError
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from leadpipe_bus import subject_for
from leadpipe_bus.headers import extract_trace
from leadpipe_contracts import utcnow
from leadpipe_contracts.companies import LeftReason, Source, StrikeOffLeft
from leadpipe_runtime import (
    BaseSettings,
    Components,
    Service,
    ServiceContext,
    ServiceDefinition,
)
from leadpipe_testing import poll_until

pytestmark = pytest.mark.integration
tracer = trace.get_tracer(__name__)


async def build(context: ServiceContext[BaseSettings]) -> Components:
    return Components()


DEFINITION = ServiceDefinition(name="stream-ingest", settings_type=BaseSettings, build=build)


@pytest.fixture
async def service(
    settings: BaseSettings, span_exporter: InMemorySpanExporter
) -> AsyncIterator[Service[BaseSettings]]:
    running = Service(DEFINITION, settings)
    await running.start()
    yield running
    await running.stop()


async def test_a_relayed_event_continues_the_trace_of_the_transaction_that_wrote_it(
    service: Service[BaseSettings], nats_client: NatsClient
) -> None:
    context = service.context
    assert context is not None
    event = StrikeOffLeft(
        event_id="outbox-trace-1",
        occurred_at=utcnow(),
        company_number="OT000001",
        source=Source.STREAM,
        reason=LeftReason.DISCONTINUED,
        observed_at=utcnow(),
    )
    with tracer.start_as_current_span("writer") as writer:
        async with context.db.transaction() as connection:
            await context.outbox.add(connection, event)
    js = nats_client.jetstream()
    stream = context.topology.stream_name("COMPANIES")
    subject = context.topology.subject(subject_for(event))

    async def relayed() -> RawStreamMsg | None:
        try:
            return await js.get_last_msg(stream, subject)
        except NotFoundError:
            return None

    message = await poll_until(relayed, timeout=15, message="the outbox row relayed")
    carried = trace.get_current_span(extract_trace(message.headers)).get_span_context()
    assert carried.trace_id == writer.get_span_context().trace_id
    assert carried.span_id == writer.get_span_context().span_id
