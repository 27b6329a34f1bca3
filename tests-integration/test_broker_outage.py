"""A broker outage longer than nats-py's default reconnect budget (about 2 min) is survived.

nats-py gives up after about two minutes unless told to reconnect for ever; every service
connects through ``leadpipe_bus.connect``, which does. This test keeps NATS down for longer than
that budget and checks that a running service comes back by itself within 30 s.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from leadpipe_bus import Delivery, Publisher, Subscription, Topology, connect
from leadpipe_contracts import utcnow
from leadpipe_contracts.companies import CompanyRecheckRequested
from leadpipe_embedded import EmbeddedNats
from leadpipe_runtime import (
    BaseSettings,
    Components,
    Secret,
    Service,
    ServiceContext,
    ServiceDefinition,
)
from leadpipe_testing import is_ready, poll_until

pytestmark = [pytest.mark.integration, pytest.mark.chaos, pytest.mark.slow]

OUTAGE_SECONDS = 130  # longer than nats-py's default 60 attempts, 2 s apart
RECOVERY_SECONDS = 30


@pytest.mark.timeout(OUTAGE_SECONDS + 120)
async def test_service_survives_a_nats_outage_longer_than_two_minutes(
    private_nats: EmbeddedNats, database_url: str, namespace: str
) -> None:
    handled: list[str] = []

    async def build(context: ServiceContext[BaseSettings]) -> Components:
        spec = context.topology.consumer("stream-ingest", "rechecks")

        async def handle(event: CompanyRecheckRequested, delivery: Delivery) -> None:
            handled.append(event.company_number)

        return Components(subscriptions=[Subscription(spec, CompanyRecheckRequested, handle)])

    definition = ServiceDefinition(name="stream-ingest", settings_type=BaseSettings, build=build)
    settings = BaseSettings(
        nats_url=private_nats.url,
        database_url=Secret(database_url),
        namespace=namespace,
        ops_port=0,
        shutdown_grace_seconds=2,
    )
    service = Service(definition, settings)
    await service.start()
    try:
        private_nats.stop()
        await asyncio.sleep(OUTAGE_SECONDS)  # the fault itself: the broker stays away this long
        assert not await is_ready(service.ops.port)
        private_nats.start()
        back = time.monotonic()
        await poll_until(
            lambda: is_ready(service.ops.port), timeout=RECOVERY_SECONDS, message="ready again"
        )
        client = await connect(private_nats.url, name="test")
        try:
            event = CompanyRecheckRequested(
                event_id="after-outage",
                occurred_at=utcnow(),
                company_number="00000042",
                reason="manual",
            )
            await Publisher(client.jetstream(), Topology(namespace), "test").publish(event)
            await poll_until(lambda: handled == ["00000042"], timeout=RECOVERY_SECONDS)
        finally:
            await client.close()
        assert time.monotonic() - back < RECOVERY_SECONDS
    finally:
        await service.stop()
