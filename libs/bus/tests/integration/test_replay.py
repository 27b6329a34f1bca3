"""Replay resets a service's consumers so history is delivered again."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import (
    ConsumerRunner,
    DeadLetterWriter,
    Delivery,
    Publisher,
    Subscription,
    Topology,
    apply_topology,
    first_sequence_since,
    replay,
)
from leadpipe_bus.replay import consumers_for
from leadpipe_contracts import utcnow
from leadpipe_contracts.companies import CompanyRecheckRequested
from leadpipe_testing import poll_until

pytestmark = pytest.mark.integration


def recheck(number: str) -> CompanyRecheckRequested:
    return CompanyRecheckRequested(
        event_id=f"recheck:{number}", occurred_at=utcnow(), company_number=number, reason="manual"
    )


async def test_replay_from_a_sequence_redelivers_history_to_the_running_consumer(
    nats_client: NatsClient, namespace: str
) -> None:
    js = nats_client.jetstream()
    topology = Topology(namespace)
    spec = topology.consumer("stream-ingest", "rechecks")
    await apply_topology(js, topology, consumers=[spec])
    publisher = Publisher(js, topology, "test")
    seen: list[tuple[str, int]] = []

    async def handler(event: CompanyRecheckRequested, delivery: Delivery) -> None:
        seen.append((event.company_number, delivery.stream_sequence))

    runner: ConsumerRunner[CompanyRecheckRequested] = ConsumerRunner(
        js,
        topology,
        Subscription(spec, CompanyRecheckRequested, handler),
        DeadLetterWriter(publisher),
        fetch_timeout=0.5,
    )
    task = asyncio.create_task(runner.run())
    try:
        for number in ("00000001", "00000002", "00000003"):
            await publisher.publish(recheck(number))
        await poll_until(lambda: len(seen) == 3, message="first delivery")
        [result] = await replay(
            js, topology, "stream-ingest", from_sequence=2, subject="companies.recheck"
        )
        assert result.sequence == 2
        await poll_until(lambda: len(seen) == 5, message="history redelivered")
        assert [number for number, _ in seen[3:]] == ["00000002", "00000003"]
    finally:
        await runner.stop(grace=0.5)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_time_is_turned_into_the_first_sequence_stored_at_or_after_it(
    nats_client: NatsClient, namespace: str
) -> None:
    js = nats_client.jetstream()
    topology = Topology(namespace)
    await apply_topology(js, topology, consumers=[])
    publisher = Publisher(js, topology, "test")
    stream = topology.stream_name("COMPANIES")
    await publisher.publish(recheck("00000010"))
    await publisher.publish(recheck("00000011"))
    middle = (await js.get_msg(stream, 2)).time
    assert middle is not None
    await publisher.publish(recheck("00000012"))
    await js.delete_msg(stream, 1)  # a hole in the sequence must not confuse the search
    assert await first_sequence_since(js, stream, middle) == 2
    assert await first_sequence_since(js, stream, middle - dt.timedelta(days=1)) == 2
    assert await first_sequence_since(js, stream, middle + dt.timedelta(days=1)) is None


def test_consumers_are_selected_by_subject() -> None:
    topology = Topology()
    assert [
        c.name for c in consumers_for(topology, "officer-fetcher", "chgw.responses.officer_list")
    ] == ["responses"]
    assert len(consumers_for(topology, "query-api", "officers.listed")) == 1
    with pytest.raises(KeyError, match="no consumer for subject"):
        consumers_for(topology, "crm-sync", "officers.listed")
