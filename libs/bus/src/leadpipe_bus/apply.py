"""Create or update the declared streams and consumers on a JetStream server, idempotently."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import NotFoundError

from leadpipe_bus.topology import ConsumerSpec, StreamSpec, Topology

log = logging.getLogger(__name__)


def stream_config(
    topology: Topology, spec: StreamSpec, *, replicas: int = 1
) -> js_api.StreamConfig:
    """The JetStream configuration of a declared stream."""
    return js_api.StreamConfig(
        name=topology.stream_name(spec.name),
        description=spec.description or None,
        subjects=[topology.subject(subject) for subject in spec.subjects],
        retention=(
            js_api.RetentionPolicy.WORK_QUEUE if spec.work_queue else js_api.RetentionPolicy.LIMITS
        ),
        storage=js_api.StorageType.FILE,
        max_age=spec.max_age,
        max_msgs=spec.max_msgs,
        max_bytes=spec.max_bytes,
        max_msgs_per_subject=spec.max_msgs_per_subject,
        discard=js_api.DiscardPolicy.NEW if spec.discard_new else js_api.DiscardPolicy.OLD,
        duplicate_window=spec.duplicate_window,
        num_replicas=replicas,
        allow_atomic=spec.atomic_publish or None,
    )


def consumer_config(topology: Topology, spec: ConsumerSpec) -> js_api.ConsumerConfig:
    """The JetStream configuration of a declared durable pull consumer."""
    durable = topology.durable(spec)
    filters = [topology.subject(subject) for subject in spec.filter_subjects]
    return js_api.ConsumerConfig(
        name=durable,
        durable_name=durable,
        description=f"{spec.service}: {spec.name}",
        deliver_policy=js_api.DeliverPolicy.NEW
        if spec.deliver_new_only
        else js_api.DeliverPolicy.ALL,
        ack_policy=js_api.AckPolicy.EXPLICIT,
        ack_wait=spec.ack_wait,
        max_deliver=spec.max_deliver,
        backoff=list(spec.server_backoff()),
        filter_subject=filters[0] if len(filters) == 1 else None,
        filter_subjects=filters if len(filters) > 1 else None,
        max_ack_pending=spec.max_ack_pending,
    )


async def ensure_stream(
    js: JetStreamContext, topology: Topology, spec: StreamSpec, *, replicas: int = 1
) -> None:
    """Create the stream, or update it when its declared configuration changed."""
    config = stream_config(topology, spec, replicas=replicas)
    try:
        await js.stream_info(config.name or "")
    except NotFoundError:
        await js.add_stream(config)
        log.info("stream created", extra={"stream": config.name})
        return
    await js.update_stream(config)


async def ensure_consumer(js: JetStreamContext, topology: Topology, spec: ConsumerSpec) -> None:
    """Create the durable consumer, or update its settings (the server keeps its position)."""
    await js.add_consumer(topology.stream_name(spec.stream), consumer_config(topology, spec))


async def apply_topology(
    js: JetStreamContext,
    topology: Topology,
    *,
    consumers: Iterable[ConsumerSpec] | None = None,
    replicas: int = 1,
) -> None:
    """Ensure every declared stream and the given consumers (default: all) exist as declared.

    Safe to run any number of times and from several processes at once.
    """
    for stream in topology.streams:
        await ensure_stream(js, topology, stream, replicas=replicas)
    for consumer in topology.consumers if consumers is None else consumers:
        await ensure_consumer(js, topology, consumer)
