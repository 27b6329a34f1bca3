"""The stream checkpoint never passes an event that JetStream has not stored.

stream-ingest applies the next batches while earlier ones are still being published; the stored
position must nevertheless only ever cover events whose messages are in the stream. Here the
COMPANIES stream refuses new messages part-way through a backlog: the catch-up stalls with its
checkpoint behind every refused event, and finishes, without loss or duplicate, once the stream
accepts messages again.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator

import msgspec
import pytest
from nats.aio.client import Client as NatsClient
from nats.js import api

from leadpipe_bus import Publisher, Topology
from leadpipe_db import Database
from leadpipe_runtime import Secret, Service
from leadpipe_simulators.companies_house import CompaniesHouseSimulator, SimulatorConfig
from leadpipe_testing import poll_until
from stream_ingest.bootstrap import definition
from stream_ingest.settings import Settings

from .conftest import read_messages
from .expected import expected_observations

pytestmark = pytest.mark.integration

BACKLOG = 3_000
ROOM = 700  # messages COMPANIES accepts before refusing
SUBJECTS = ("companies.observed", "companies.strikeoff.entered", "companies.strikeoff.left")


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Service[Settings]]:
    service = Service(definition, settings)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


async def _limit(client: NatsClient, namespace: str, max_msgs: int) -> None:
    """Let COMPANIES hold at most ``max_msgs`` messages, refusing more (-1: no limit)."""
    js = client.jetstream()
    config = (await js.stream_info(Topology(namespace).stream_name("COMPANIES"))).config
    config.max_msgs = max_msgs
    config.discard = api.DiscardPolicy.NEW if max_msgs >= 0 else api.DiscardPolicy.OLD
    await js.update_stream(config)


async def test_the_checkpoint_stays_behind_every_event_the_stream_refused(
    settings: Settings, bus: tuple[NatsClient, Publisher], namespace: str, db: Database
) -> None:
    client, _ = bus
    config = SimulatorConfig(seed=11, size=5_000, heartbeat_interval=0.5)
    async with CompaniesHouseSimulator(config) as sim:
        log = sim.stream.logs["companies"]
        first = log.next_timepoint
        async with db.transaction() as connection:
            await connection.execute(
                "INSERT INTO stream_positions (stream, timepoint) VALUES ('companies', $1)",
                first - 1,
            )

        async def position() -> int:
            async with db.pool.acquire() as connection:
                found: int = await connection.fetchval(
                    "SELECT timepoint FROM stream_positions WHERE stream = 'companies'"
                )
            return found

        async def full() -> bool:
            js = client.jetstream()
            info = await js.stream_info(Topology(namespace).stream_name("COMPANIES"))
            return info.state.messages >= ROOM

        changed = msgspec.structs.replace(
            settings,
            ch_stream_url=sim.stream_url,
            ch_stream_key=Secret("test-stream-key"),
            streams=("companies",),
            stream_batch_events=250,
            stream_backoff_initial_seconds=0.05,
            stream_backoff_max_seconds=0.2,
        )
        async with running(changed):
            await poll_until(lambda: sim.stream.connections, message="connected")
            # After the service applied its topology, which would lift the limit again.
            await _limit(client, namespace, ROOM)
            sim.stream.generate_backlog(BACKLOG, stream="companies")
            last = log.next_timepoint - 1
            await poll_until(full, timeout=30, message="COMPANIES full")
            # Publishing is now refused (and retried); the position read here must cover only
            # stored events, whatever is applied or in flight beyond it.
            stalled_at = await position()
            stored = [
                msg_id
                for subject in SUBJECTS
                for msg_id, _ in await read_messages(client, namespace, subject)
            ]
            await _limit(client, namespace, -1)

            async def finished() -> bool:
                return await position() >= last

            await poll_until(finished, timeout=60, message="catch-up finished")
        expected = expected_observations(sim)
        observed = await read_messages(client, namespace, "companies.observed")

    covered = {msg_id for msg_id in expected if int(msg_id.split(":")[1]) <= stalled_at}
    assert first <= stalled_at < last
    assert len(stored) == ROOM
    assert covered <= set(stored)
    ids = Counter(msg_id for msg_id, _ in observed)
    assert set(ids) == expected
    assert max(ids.values()) == 1
