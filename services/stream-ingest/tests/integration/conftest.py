"""Fixtures for stream-ingest integration tests: settings for a test namespace, message reads."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest
from nats.aio.client import Client as NatsClient
from nats.js import api

from leadpipe_bus import ConnectionState, Publisher, Topology, apply_topology, connect
from leadpipe_db import Database
from leadpipe_runtime import Secret
from stream_ingest.bootstrap import definition
from stream_ingest.settings import Settings


@pytest.fixture
def settings(nats_url: str, database_url: str, namespace: str) -> Settings:
    """Settings of a stream-ingest confined to this test's namespace (streams off)."""
    return Settings(
        nats_url=nats_url,
        database_url=Secret(database_url),
        namespace=namespace,
        ops_port=0,
        shutdown_grace_seconds=2.0,
    )


@pytest.fixture
async def bus(nats_url: str, namespace: str) -> AsyncIterator[tuple[NatsClient, Publisher]]:
    """A NATS connection with the namespaced topology applied, and a publisher on it."""
    state = ConnectionState()
    client = await connect(nats_url, name="test", state=state)
    topology = Topology(namespace)
    await apply_topology(client.jetstream(), topology, consumers=())
    try:
        yield client, Publisher(client.jetstream(), topology, "test")
    finally:
        state.closing = True
        await client.close()


@pytest.fixture
async def db(database_url: str, namespace: str) -> AsyncIterator[Database]:
    """The stream-ingest schema of this namespace, migrated."""
    database = Database(database_url, definition.schema(namespace))
    await database.open(timeout=30)
    await database.migrate(["stream_ingest.migrations"])
    try:
        yield database
    finally:
        await database.close()


async def read_messages(
    client: NatsClient, namespace: str, base_subject: str
) -> list[tuple[str | None, dict[str, object]]]:
    """Every message stored on a subject of this namespace: (Nats-Msg-Id, decoded body)."""
    topology = Topology(namespace)
    js = client.jetstream()
    spec = topology.stream_for_subject(base_subject)
    stream = topology.stream_name(spec.name)
    subject = topology.subject(base_subject)
    info = await js.stream_info(stream, subjects_filter=subject)
    expected = (info.state.subjects or {}).get(subject, 0)
    if expected == 0:
        return []
    subscription = await js.pull_subscribe(
        subject,
        stream=stream,
        config=api.ConsumerConfig(
            deliver_policy=api.DeliverPolicy.ALL,
            # A work queue requires explicit acks; these reads never ack, so nothing is removed.
            ack_policy=api.AckPolicy.EXPLICIT if spec.work_queue else api.AckPolicy.NONE,
        ),
    )
    found: list[tuple[str | None, dict[str, object]]] = []
    try:
        while len(found) < expected:
            for message in await subscription.fetch(min(2_000, expected - len(found)), timeout=5):
                msg_id = (message.headers or {}).get("Nats-Msg-Id")
                found.append((msg_id, msgspec.json.decode(message.data)))
    finally:
        await subscription.unsubscribe()
    return found


async def subject_counts(client: NatsClient, namespace: str) -> dict[str, int]:
    """Messages per (base) subject in this namespace's COMPANIES stream."""
    topology = Topology(namespace)
    info = await client.jetstream().stream_info(
        topology.stream_name("COMPANIES"), subjects_filter=">"
    )
    return {
        topology.base_subject(subject): count
        for subject, count in (info.state.subjects or {}).items()
    }
