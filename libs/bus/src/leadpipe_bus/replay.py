"""Re-delivering history to a service: reset its durable consumers to an earlier position.

JetStream (server ≥ 2.14, ADR-60) can reset a durable consumer so that its next delivery is at
or after a given stream sequence; the running service simply receives the history again through
its usual runner, and because every consumer is idempotent its state ends identical. A time is
turned into a sequence by binary search over message timestamps (streams are append-only, so
timestamps grow with the sequence).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import NotFoundError

from leadpipe_bus.topology import ConsumerSpec, Topology, _matches


@dataclasses.dataclass(frozen=True)
class ReplayResult:
    """What one consumer was reset to (``sequence`` None: nothing to replay)."""

    durable: str
    stream: str
    sequence: int | None


async def _at_or_after(
    js: JetStreamContext, stream: str, sequence: int
) -> js_api.RawStreamMsg | None:
    try:
        return await js.get_msg(stream, sequence, subject=">", next=True)
    except NotFoundError:
        return None


async def first_sequence_since(js: JetStreamContext, stream: str, since: dt.datetime) -> int | None:
    """The first stream sequence whose message was stored at or after ``since``."""
    info = await js.stream_info(stream)
    if not info.state.messages:
        return None
    low, high, answer = info.state.first_seq, info.state.last_seq, None
    while low <= high:
        middle = (low + high) // 2
        message = await _at_or_after(js, stream, middle)
        if message is None or message.seq is None or message.seq > high:
            high = middle - 1
        elif message.time is not None and message.time >= since:
            answer, high = message.seq, middle - 1
        else:
            low = message.seq + 1
    return answer


def consumers_for(topology: Topology, service: str, subject: str | None) -> list[ConsumerSpec]:
    """The service's consumers, narrowed to those that receive ``subject`` when one is given.

    Raises:
        KeyError: The service has no consumer (for that subject).
    """
    selected = [
        spec
        for spec in topology.consumers_of(service)
        if subject is None
        or (
            topology.stream_for_subject(subject).name == spec.stream
            and (
                not spec.filter_subjects
                or any(_matches(pattern, subject) for pattern in spec.filter_subjects)
            )
        )
    ]
    if not selected:
        detail = f" for subject {subject!r}" if subject else ""
        raise KeyError(f"service {service!r} has no consumer{detail}")
    return selected


async def replay(
    js: JetStreamContext,
    topology: Topology,
    service: str,
    *,
    since: dt.datetime | None = None,
    from_sequence: int | None = None,
    subject: str | None = None,
) -> list[ReplayResult]:
    """Reset each selected consumer of ``service`` to ``from_sequence`` or the first at ``since``.

    Raises:
        ValueError: Neither or both of ``since`` and ``from_sequence`` were given.
    """
    if (since is None) == (from_sequence is None):
        raise ValueError("give exactly one of since / from_sequence")
    results: list[ReplayResult] = []
    for spec in consumers_for(topology, service, subject):
        stream = topology.stream_name(spec.stream)
        durable = topology.durable(spec)
        sequence = from_sequence
        if since is not None:
            sequence = await first_sequence_since(js, stream, since)
        if sequence is not None:
            await js.reset_consumer(stream, durable, sequence)
        results.append(ReplayResult(durable, stream, sequence))
    return results
