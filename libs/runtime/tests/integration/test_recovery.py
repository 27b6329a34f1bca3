"""A running service recovers by itself when NATS or Postgres goes away and comes back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Delivery, Publisher, Subscription, Topology, connect
from leadpipe_contracts import utcnow
from leadpipe_contracts.companies import CompanyRecheckRequested
from leadpipe_db import inbox
from leadpipe_embedded import EmbeddedNats, EmbeddedPostgres
from leadpipe_runtime import (
    BaseSettings,
    Components,
    Secret,
    Service,
    ServiceContext,
    ServiceDefinition,
)
from leadpipe_testing import FaultProxy, is_ready, poll_until

pytestmark = [pytest.mark.integration, pytest.mark.chaos]
RECOVERY_SECONDS = 30


async def build(context: ServiceContext[BaseSettings]) -> Components:
    spec = context.topology.consumer("stream-ingest", "rechecks")
    await context.db.pool.execute("CREATE TABLE IF NOT EXISTS seen (number text PRIMARY KEY)")

    async def handle(event: CompanyRecheckRequested, delivery: Delivery) -> None:
        async with context.db.transaction() as connection:
            if await inbox.claim(connection, spec.durable, event.event_id):
                await connection.execute("INSERT INTO seen VALUES ($1)", event.company_number)

    return Components(subscriptions=[Subscription(spec, CompanyRecheckRequested, handle)])


DEFINITION = ServiceDefinition(name="stream-ingest", settings_type=BaseSettings, build=build)


def recheck(number: str) -> CompanyRecheckRequested:
    return CompanyRecheckRequested(
        event_id=f"recheck:{number}", occurred_at=utcnow(), company_number=number, reason="manual"
    )


async def _start(nats_url: str, database_url: str, namespace: str) -> Service[BaseSettings]:
    settings = BaseSettings(
        nats_url=nats_url,
        database_url=Secret(database_url),
        namespace=namespace,
        ops_port=0,
        shutdown_grace_seconds=2,
    )
    service = Service(DEFINITION, settings)
    await service.start()
    return service


@pytest.fixture
async def client(private_nats: EmbeddedNats) -> AsyncIterator[NatsClient]:
    nc = await connect(private_nats.url, name="test")
    yield nc
    await nc.close()


async def _seen(service: Service[BaseSettings], number: str) -> bool:
    try:
        return bool(await service.db.pool.fetchval("SELECT 1 FROM seen WHERE number = $1", number))
    except Exception:
        return False


async def test_service_recovers_after_a_nats_restart(
    private_nats: EmbeddedNats, client: NatsClient, database_url: str, namespace: str
) -> None:
    service = await _start(private_nats.url, database_url, namespace)
    try:
        publisher = Publisher(client.jetstream(), Topology(namespace), "test")
        await publisher.publish(recheck("00000001"))
        await poll_until(lambda: _seen(service, "00000001"), message="handled before outage")

        private_nats.stop()
        await poll_until(lambda: _not(is_ready(service.ops.port)), message="not ready while down")
        await asyncio.sleep(3)  # an outage of a few seconds, not an instant blip
        private_nats.start()
        back = time.monotonic()

        await publisher.publish(recheck("00000002"))
        await poll_until(
            lambda: _seen(service, "00000002"), timeout=RECOVERY_SECONDS, message="handled after"
        )
        await poll_until(lambda: is_ready(service.ops.port), timeout=RECOVERY_SECONDS)
        assert time.monotonic() - back < RECOVERY_SECONDS
    finally:
        await service.stop()


async def _not(probe: object) -> bool:
    return not await probe  # type: ignore[misc]


async def test_service_recovers_after_postgres_crashes_and_comes_back(
    nats_url: str, private_postgres: EmbeddedPostgres, nats_client: NatsClient, namespace: str
) -> None:
    service = await _start(nats_url, private_postgres.url, namespace)
    try:
        publisher = Publisher(nats_client.jetstream(), Topology(namespace), "test")
        private_postgres.stop(immediate=True)
        await publisher.publish(recheck("00000003"))  # arrives while the database is down
        await poll_until(lambda: _not(is_ready(service.ops.port)), message="not ready while down")
        private_postgres.start()
        back = time.monotonic()
        await poll_until(
            lambda: _seen(service, "00000003"), timeout=RECOVERY_SECONDS, message="handled after"
        )
        assert time.monotonic() - back < RECOVERY_SECONDS
        assert await service.db.pool.fetchval("SELECT count(*) FROM seen") == 1
    finally:
        await service.stop()


async def test_connections_cut_by_the_network_are_reestablished(
    private_nats: EmbeddedNats, database_url: str, namespace: str
) -> None:
    proxy = FaultProxy("127.0.0.1", private_nats.port)
    port = await proxy.start()
    service = await _start(f"nats://127.0.0.1:{port}", database_url, namespace)
    client = await connect(private_nats.url, name="test")
    try:
        publisher = Publisher(client.jetstream(), Topology(namespace), "test")
        await proxy.cut()
        proxy.faults.latency = 0.05
        await publisher.publish(recheck("00000004"))
        await poll_until(
            lambda: _seen(service, "00000004"),
            timeout=RECOVERY_SECONDS,
            message="handled after cut",
        )
    finally:
        await service.stop()
        await client.close()
        await proxy.stop()
