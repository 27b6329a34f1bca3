"""Consumer lag as Prometheus gauges: how far each durable consumer is behind its stream.

The runner's own metrics say what a consumer did; only the server knows what is still waiting.
Each service samples its own durables' ``consumer_info`` on an interval, so a stuck or slow
consumer shows as a growing ``leadpipe_consumer_pending`` whether or not its process is healthy.
Replicas of one service report the same numbers: aggregate with ``max``, never ``sum``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

import nats.errors
from nats.js import JetStreamContext
from prometheus_client import Gauge

from leadpipe_bus.telemetry import Label
from leadpipe_bus.topology import ConsumerSpec, Topology

log = logging.getLogger(__name__)

PENDING = Gauge(
    "leadpipe_consumer_pending",
    "Messages in the stream not yet delivered to the consumer (its lag).",
    [Label.CONSUMER],
)
ACK_PENDING = Gauge(
    "leadpipe_consumer_ack_pending",
    "Messages delivered to the consumer and not yet acknowledged.",
    [Label.CONSUMER],
)
REDELIVERED = Gauge(
    "leadpipe_consumer_redelivered",
    "Messages delivered more than once that are still unacknowledged.",
    [Label.CONSUMER],
)


async def sample_once(
    js: JetStreamContext, topology: Topology, specs: Iterable[ConsumerSpec]
) -> None:
    """Read every consumer's state once; a consumer the server cannot report on is skipped."""
    for spec in specs:
        durable = topology.durable(spec)
        try:
            info = await js.consumer_info(topology.stream_name(spec.stream), durable)
        except (TimeoutError, nats.errors.Error) as exc:
            log.debug("lag of %s not sampled: %r", durable, exc)
            continue
        PENDING.labels(durable).set(info.num_pending or 0)
        ACK_PENDING.labels(durable).set(info.num_ack_pending or 0)
        REDELIVERED.labels(durable).set(info.num_redelivered or 0)


async def sample_forever(
    js: JetStreamContext, topology: Topology, specs: list[ConsumerSpec], interval: float
) -> None:
    """Sample every ``interval`` seconds until cancelled; broker outages only skip samples."""
    while True:
        await sample_once(js, topology, specs)
        await asyncio.sleep(interval)
