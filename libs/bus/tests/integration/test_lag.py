"""A consumer's lag is read from the server and exported as gauges."""

from __future__ import annotations

import pytest
from nats.aio.client import Client as NatsClient
from prometheus_client import REGISTRY

from leadpipe_bus import Publisher, Topology, apply_topology
from leadpipe_bus.lag import sample_once
from leadpipe_contracts import utcnow
from leadpipe_contracts.companies import CompanyRecheckRequested

pytestmark = pytest.mark.integration


def gauge(name: str, consumer: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"consumer": consumer})


async def test_messages_nobody_has_fetched_show_as_pending_and_fetched_ones_as_ack_pending(
    nats_client: NatsClient, namespace: str
) -> None:
    js = nats_client.jetstream()
    topology = Topology(namespace)
    spec = topology.consumer("stream-ingest", "rechecks")
    await apply_topology(js, topology, consumers=[spec])
    publisher = Publisher(js, topology, "test")
    for n in range(5):
        await publisher.publish(
            CompanyRecheckRequested(
                event_id=f"recheck:{n}",
                occurred_at=utcnow(),
                company_number=f"{n:08d}",
                reason="manual",
            )
        )
    durable = topology.durable(spec)

    await sample_once(js, topology, [spec])
    assert gauge("leadpipe_consumer_pending", durable) == 5
    assert gauge("leadpipe_consumer_ack_pending", durable) == 0

    subscription = await js.pull_subscribe_bind(
        durable=durable, stream=topology.stream_name(spec.stream)
    )
    fetched = await subscription.fetch(2, timeout=5)
    await sample_once(js, topology, [spec])
    assert gauge("leadpipe_consumer_pending", durable) == 3
    assert gauge("leadpipe_consumer_ack_pending", durable) == len(fetched) == 2
    await subscription.unsubscribe()


async def test_a_consumer_the_server_does_not_know_is_skipped_not_fatal(
    nats_client: NatsClient, namespace: str
) -> None:
    js = nats_client.jetstream()
    topology = Topology(namespace)
    spec = topology.consumer("stream-ingest", "rechecks")
    await apply_topology(js, topology, consumers=[])

    await sample_once(js, topology, [spec])

    assert gauge("leadpipe_consumer_pending", topology.durable(spec)) is None
