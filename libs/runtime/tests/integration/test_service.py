"""A service runs in-process on real NATS and Postgres: migrates, binds, serves, relays, stops."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Delivery, Publisher, Subscription, Topology, apply_topology
from leadpipe_contracts import derive_id, utcnow
from leadpipe_contracts.companies import CompanyRecheckRequested, LeftReason, Source, StrikeOffLeft
from leadpipe_contracts.privacy import PrivacyErasureRequested
from leadpipe_db import inbox
from leadpipe_runtime import (
    BaseSettings,
    Components,
    Service,
    ServiceContext,
    ServiceDefinition,
    nothing_held_erasure,
)
from leadpipe_testing import poll_until

pytestmark = pytest.mark.integration


def left_event(number: str) -> StrikeOffLeft:
    return StrikeOffLeft(
        event_id=derive_id("left", number),
        occurred_at=utcnow(),
        company_number=number,
        source=Source.STREAM,
        reason=LeftReason.DISCONTINUED,
        observed_at=utcnow(),
    )


async def build(context: ServiceContext[BaseSettings]) -> Components:
    """A minimal service: each recheck request is stored once and answered by an event."""
    spec = context.topology.consumer("stream-ingest", "rechecks")

    async def handle(event: CompanyRecheckRequested, delivery: Delivery) -> None:
        async with context.db.transaction() as connection:
            if not await inbox.claim(connection, spec.durable, event.event_id):
                return
            await connection.execute("INSERT INTO seen (number) VALUES ($1)", event.company_number)
            await context.outbox.add(connection, left_event(event.company_number))

    async def create_table() -> None:
        await context.db.pool.execute("CREATE TABLE IF NOT EXISTS seen (number text)")

    await create_table()
    return Components(subscriptions=[Subscription(spec, CompanyRecheckRequested, handle)])


DEFINITION = ServiceDefinition(name="stream-ingest", settings_type=BaseSettings, build=build)


@pytest.fixture
async def service(settings: BaseSettings) -> AsyncIterator[Service[BaseSettings]]:
    running = Service(DEFINITION, settings)
    await running.start()
    yield running
    await running.stop()


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def test_service_answers_health_ready_and_metrics(service: Service[BaseSettings]) -> None:
    base = f"http://127.0.0.1:{service.ops.port}"
    assert (await _get(f"{base}/healthz"))[0] == 200
    status, body = await poll_until(lambda: _ready(base), message="service ready", timeout=10)
    assert '"consumers": {"status": "ok"}' in body
    status, metrics = await _get(f"{base}/metrics")
    assert status == 200
    assert "leadpipe_consumer_in_flight" in metrics
    # The lag of the service's own consumer, sampled from the server as soon as it starts.
    durable = service.topology.durable(service.topology.consumer("stream-ingest", "rechecks"))
    lag = f'leadpipe_consumer_pending{{consumer="{durable}"}} 0.0'

    async def lag_exported() -> bool:
        return lag in (await _get(f"{base}/metrics"))[1]

    await poll_until(lag_exported, message="consumer lag exported", timeout=10)


async def _ready(base: str) -> tuple[int, str] | None:
    status, body = await _get(f"{base}/readyz")
    return (status, body) if status == 200 else None


async def test_schema_is_the_services_own_and_migrated_once(
    service: Service[BaseSettings], pg_connection: object, namespace: str
) -> None:
    rows = await service.db.pool.fetch(
        "SELECT component, name FROM schema_migrations ORDER BY component"
    )
    assert [(r["component"], r["name"]) for r in rows] == [
        ("leadpipe_db.migrations", "0001_core.sql")
    ]
    assert service.db.schema == f"{namespace}_stream_ingest"


async def test_handled_event_changes_state_once_and_its_result_is_relayed(
    service: Service[BaseSettings], nats_client: NatsClient, namespace: str
) -> None:
    topology = Topology(namespace)
    publisher = Publisher(nats_client.jetstream(), topology, "test")
    request = CompanyRecheckRequested(
        event_id="r1", occurred_at=utcnow(), company_number="01234567", reason="manual"
    )
    await publisher.publish(request)
    await publisher.publish(request, msg_id="r1-replayed")  # a replay beyond the dedupe window

    js = nats_client.jetstream()

    async def relayed() -> int:
        info = await js.stream_info(topology.stream_name("COMPANIES"))
        subjects = await js.stream_info(topology.stream_name("COMPANIES"), subjects_filter=">")
        return (
            (subjects.state.subjects or {}).get(topology.subject("companies.strikeoff.left"), 0)
            if info
            else 0
        )

    assert await poll_until(relayed, message="outbox relayed the event") == 1
    count = await service.db.pool.fetchval("SELECT count(*) FROM seen")
    assert count == 1

    async def outbox_drained() -> bool:
        unpublished = await service.db.pool.fetchval(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )
        return unpublished == 0

    await poll_until(outbox_drained, message="outbox rows marked published")


async def test_topology_applied_by_the_service_is_stable_when_applied_again(
    service: Service[BaseSettings], nats_client: NatsClient, namespace: str
) -> None:
    topology = Topology(namespace)
    await apply_topology(
        nats_client.jetstream(), topology, consumers=topology.consumers_of("stream-ingest")
    )
    info = await nats_client.jetstream().consumer_info(
        topology.stream_name("COMPANIES"),
        topology.durable(topology.consumer("stream-ingest", "rechecks")),
    )
    assert info.config.max_deliver == 8


async def test_a_service_holding_no_personal_data_confirms_each_erasure_once(
    settings: BaseSettings, namespace: str, nats_client: NatsClient
) -> None:
    async def build_privacy(context: ServiceContext[BaseSettings]) -> Components:
        return Components(subscriptions=[nothing_held_erasure(context)])

    definition = ServiceDefinition(
        name="webhook-receiver", settings_type=BaseSettings, build=build_privacy
    )
    running = Service(definition, settings)
    await running.start()
    try:
        topology = Topology(namespace)
        publisher = Publisher(nats_client.jetstream(), topology, "test")
        request = PrivacyErasureRequested(
            event_id="erase-1",
            occurred_at=utcnow(),
            request_id="req-1",
            email="a@b.example",
            requested_by="admin",
        )
        await publisher.publish(request)
        await publisher.publish(request, msg_id="erase-1-again")
        js = nats_client.jetstream()

        async def completions() -> int:
            info = await js.stream_info(topology.stream_name("PRIVACY"), subjects_filter=">")
            subjects = info.state.subjects or {}
            return subjects.get(topology.subject("privacy.erasure.completed"), 0)

        assert await poll_until(completions, message="erasure confirmed") == 1
        last = await js.get_last_msg(
            topology.stream_name("PRIVACY"), topology.subject("privacy.erasure.completed")
        )
        assert b'"service":"webhook-receiver"' in (last.data or b"")
        assert b'"records_erased":0' in (last.data or b"")
    finally:
        await running.stop()
