"""Publishing stream events in JetStream atomic batches: stored once, whatever the replay."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Publisher, Topology, apply_topology
from leadpipe_contracts.companies import LeftReason, Source, StrikeOffLeft
from stream_ingest.adapters.publishing import BatchPublisher, Message, encode_events

from .conftest import read_messages

pytestmark = pytest.mark.integration

AT = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)


def messages(publisher: Publisher, first: int, last: int) -> list[Message]:
    """Fresh messages for stream timepoints ``first``..``last`` (one event each)."""
    events = [
        StrikeOffLeft(
            event_id=f"companies:{timepoint}:left",
            occurred_at=AT,
            company_number=f"{timepoint:08d}",
            source=Source.STREAM,
            reason=LeftReason.DISCONTINUED,
            observed_at=AT,
        )
        for timepoint in range(first, last + 1)
    ]
    return encode_events(publisher, [(event, event.event_id) for event in events])


async def test_a_replay_cut_at_other_places_stores_every_event_exactly_once(
    bus: tuple[NatsClient, Publisher], namespace: str
) -> None:
    client, publisher = bus
    batches = BatchPublisher(client, publisher)

    await batches.publish(messages(publisher, 1, 2_500))  # three atomic batches
    # A replay from inside the first batch: every atomic batch now repeats stored ids.
    await batches.publish(messages(publisher, 700, 3_200))

    stored = await read_messages(client, namespace, "companies.strikeoff.left")
    ids = [msg_id for msg_id, _ in stored]
    assert len(ids) == len(set(ids)) == 3_200
    assert set(ids) == {f"companies:{t}:left" for t in range(1, 3_201)}
    assert batches.atomic


async def test_a_stream_without_atomic_batches_gets_every_event_one_by_one(
    nats_client: NatsClient, namespace: str
) -> None:
    topology = Topology(namespace)
    topology = dataclasses.replace(
        topology,
        streams=tuple(dataclasses.replace(spec, atomic_publish=False) for spec in topology.streams),
    )
    await apply_topology(nats_client.jetstream(), topology, consumers=())
    publisher = Publisher(nats_client.jetstream(), topology, "test")
    batches = BatchPublisher(nats_client, publisher)

    await batches.publish(messages(publisher, 1, 1_200))
    await batches.publish(messages(publisher, 1_000, 1_500))

    stored = await read_messages(nats_client, namespace, "companies.strikeoff.left")
    assert sorted(msg_id or "" for msg_id, _ in stored) == sorted(
        f"companies:{t}:left" for t in range(1, 1_501)
    )
    assert not batches.atomic
