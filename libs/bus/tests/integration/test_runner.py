"""Consumer runner semantics on a real JetStream server."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from leadpipe_bus import (
    ConsumerRunner,
    ConsumerSpec,
    DeadLetterWriter,
    Delivery,
    PermanentError,
    Publisher,
    Retry,
    Subscription,
    Topology,
    apply_topology,
    list_dead_letters,
    retry_dead_letter,
)
from leadpipe_contracts import derive_id, utcnow
from leadpipe_contracts.companies import CompanyRecheckRequested
from leadpipe_testing import poll_until

pytestmark = pytest.mark.integration

SPEC = ConsumerSpec(
    "query-api",
    "probe",
    "COMPANIES",
    ("companies.recheck",),
    ack_wait=2.0,
    max_deliver=3,
    retry_delays=(0.1,),
    concurrency=4,
)


def recheck(number: str) -> CompanyRecheckRequested:
    return CompanyRecheckRequested(
        event_id=derive_id("recheck", number),
        occurred_at=utcnow(),
        company_number=number,
        reason="manual",
    )


@dataclasses.dataclass
class Bus:
    js: JetStreamContext
    topology: Topology
    publisher: Publisher
    runners: list[ConsumerRunner[CompanyRecheckRequested]] = dataclasses.field(default_factory=list)
    tasks: list[asyncio.Task[None]] = dataclasses.field(default_factory=list)

    def start(
        self, handler: object, spec: ConsumerSpec = SPEC
    ) -> ConsumerRunner[CompanyRecheckRequested]:
        runner: ConsumerRunner[CompanyRecheckRequested] = ConsumerRunner(
            self.js,
            self.topology,
            Subscription(spec, CompanyRecheckRequested, handler),  # type: ignore[arg-type]
            DeadLetterWriter(self.publisher),
            fetch_timeout=0.5,
        )
        self.runners.append(runner)
        self.tasks.append(asyncio.create_task(runner.run()))
        return runner

    async def pending(self, spec: ConsumerSpec = SPEC) -> tuple[int, int]:
        info = await self.js.consumer_info(
            self.topology.stream_name(spec.stream), self.topology.durable(spec)
        )
        return info.num_pending, info.num_ack_pending

    async def dead_letters(self) -> list[str]:
        records = await list_dead_letters(self.js, self.topology.stream_name("DEADLETTER"))
        return [record.error for _, record in records]


@pytest.fixture
async def bus(nats_client: NatsClient, namespace: str) -> AsyncIterator[Bus]:
    js = nats_client.jetstream()
    topology = Topology(namespace, consumers=(SPEC,))
    await apply_topology(js, topology)
    state = Bus(js, topology, Publisher(js, topology, "test"))
    yield state
    for runner in state.runners:
        await runner.stop(grace=0.5)
    for task in state.tasks:
        task.cancel()
    await asyncio.gather(*state.tasks, return_exceptions=True)
    for stream in topology.streams:
        await js.delete_stream(topology.stream_name(stream.name))


async def test_apply_topology_twice_is_a_no_op_and_updates_changed_settings(bus: Bus) -> None:
    await apply_topology(bus.js, bus.topology)
    changed = dataclasses.replace(SPEC, max_ack_pending=7)
    await apply_topology(bus.js, Topology(bus.topology.namespace, consumers=(changed,)))
    info = await bus.js.consumer_info(
        bus.topology.stream_name("COMPANIES"), bus.topology.durable(SPEC)
    )
    assert info.config.max_ack_pending == 7
    assert info.config.max_deliver == 3


async def test_duplicate_publish_with_the_same_event_id_is_stored_once(bus: Bus) -> None:
    first = await bus.publisher.publish(recheck("00000001"))
    second = await bus.publisher.publish(recheck("00000001"))
    assert not first.duplicate
    assert second.duplicate
    info = await bus.js.stream_info(bus.topology.stream_name("COMPANIES"))
    assert info.state.messages == 1


async def test_handled_message_is_acked(bus: Bus) -> None:
    seen: list[str] = []

    async def handler(event: CompanyRecheckRequested, delivery: Delivery) -> None:
        seen.append(event.company_number)

    bus.start(handler)
    await bus.publisher.publish(recheck("00000002"))
    await poll_until(lambda: seen == ["00000002"], message="handled")
    assert await poll_pending_zero(bus)


async def poll_pending_zero(bus: Bus) -> bool:
    async def zero() -> bool:
        return await bus.pending() == (0, 0)

    return await poll_until(zero, message="nothing pending")


async def test_transient_error_is_nacked_with_delay_and_redelivered(bus: Bus) -> None:
    deliveries: list[int] = []

    async def handler(event: CompanyRecheckRequested, delivery: Delivery) -> None:
        deliveries.append(delivery.deliveries)
        if delivery.deliveries < 2:
            raise Retry(0.3, "upstream busy")

    bus.start(handler)
    await bus.publisher.publish(recheck("00000003"))
    await poll_until(lambda: deliveries == [1, 2], message="redelivered once")
    assert await poll_pending_zero(bus)
    assert await bus.dead_letters() == []


async def test_permanent_error_is_dead_lettered_and_later_messages_still_flow(bus: Bus) -> None:
    handled: list[str] = []

    async def handler(event: CompanyRecheckRequested, delivery: Delivery) -> None:
        if event.company_number == "BAD00000":
            raise PermanentError("company number rejected")
        handled.append(event.company_number)

    bus.start(handler)
    await bus.publisher.publish(recheck("BAD00000"))
    await bus.publisher.publish(recheck("00000004"))
    await poll_until(lambda: handled == ["00000004"], message="next message handled")
    errors = await poll_until(bus.dead_letters, message="dead letter recorded")
    assert errors == ["permanent error: company number rejected"]
    assert await poll_pending_zero(bus)


async def test_exhausting_max_deliver_dead_letters_after_exactly_max_deliver_attempts(
    bus: Bus,
) -> None:
    deliveries: list[int] = []

    async def handler(event: CompanyRecheckRequested, delivery: Delivery) -> None:
        deliveries.append(delivery.deliveries)
        raise ConnectionError("database unavailable")

    bus.start(handler)
    await bus.publisher.publish(recheck("00000005"))
    errors = await poll_until(bus.dead_letters, message="dead letter recorded")
    assert deliveries == [1, 2, 3]
    assert errors == ["gave up after 3 deliveries: ConnectionError: database unavailable"]


async def test_undecodable_message_is_dead_lettered_with_the_reason(bus: Bus) -> None:
    handled: list[str] = []

    async def handler(event: CompanyRecheckRequested, delivery: Delivery) -> None:
        handled.append(event.company_number)

    bus.start(handler)
    await bus.js.publish(bus.topology.subject("companies.recheck"), b'{"type":"nonsense"')
    await bus.publisher.publish(recheck("00000006"))
    await poll_until(lambda: handled == ["00000006"], message="service keeps running")
    errors = await poll_until(bus.dead_letters, message="dead letter recorded")
    assert len(errors) == 1
    assert errors[0] == "undecodable message: Invalid value 'nonsense' - at `$.type`"


async def test_cancelled_handler_is_not_acked_and_the_message_is_redelivered(bus: Bus) -> None:
    started = asyncio.Event()

    async def blocking(event: CompanyRecheckRequested, delivery: Delivery) -> None:
        started.set()
        await asyncio.Event().wait()

    first = bus.start(blocking)
    await bus.publisher.publish(recheck("00000007"))
    await asyncio.wait_for(started.wait(), 5)
    await first.stop(grace=0)

    seen: list[int] = []

    async def handler(event: CompanyRecheckRequested, delivery: Delivery) -> None:
        seen.append(delivery.deliveries)

    bus.start(handler)
    await poll_until(lambda: seen == [2], timeout=10, message="redelivered after cancellation")
    assert await poll_pending_zero(bus)


async def test_dead_letter_retry_republishes_the_original_and_removes_the_record(bus: Bus) -> None:
    attempts: list[int] = []

    async def handler(event: CompanyRecheckRequested, delivery: Delivery) -> None:
        attempts.append(delivery.deliveries)
        if len(attempts) == 1:
            raise PermanentError("not yet")

    bus.start(handler)
    await bus.publisher.publish(recheck("00000008"))
    await poll_until(bus.dead_letters, message="dead letter recorded")
    stream = bus.topology.stream_name("DEADLETTER")
    [(sequence, record)] = await list_dead_letters(bus.js, stream)
    assert record.subject == bus.topology.subject("companies.recheck")
    await retry_dead_letter(bus.js, bus.publisher, stream, sequence)
    await poll_until(lambda: len(attempts) == 2, message="retried message handled")
    assert await list_dead_letters(bus.js, stream) == []


async def test_trace_continues_from_one_services_publisher_to_anothers_runner(
    bus: Bus, span_exporter: InMemorySpanExporter
) -> None:
    producer = Publisher(bus.js, bus.topology, "stream-ingest")
    handled_in: list[int] = []

    async def handler(event: CompanyRecheckRequested, delivery: Delivery) -> None:
        handled_in.append(trace.get_current_span().get_span_context().trace_id)

    bus.start(handler)
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("stream event") as span:
        origin = span.get_span_context().trace_id
        await producer.publish(recheck("00000009"))
    await poll_until(lambda: handled_in, message="handled")
    assert handled_in == [origin]
