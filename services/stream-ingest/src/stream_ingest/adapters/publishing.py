"""Publishing many events at once with pipelined JetStream acknowledgements.

``publish_async`` sends every message without waiting and collects the PubAcks as they arrive,
which is several times faster than one request/reply per event. Anything not acknowledged in
time (or refused) falls back to the shared ``Publisher``, which retries with the same
``Nats-Msg-Id`` until acknowledged or gives up with ``PublishError`` — so the caller's rule
"checkpoint only after every ack" holds either way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from nats.js import JetStreamContext
from nats.js.api import PubAck

from leadpipe_bus import Publisher, subject_for
from leadpipe_contracts import Event, encode

log = logging.getLogger(__name__)


async def publish_all(
    js: JetStreamContext,
    publisher: Publisher,
    events: Sequence[tuple[Event, str]],
    *,
    ack_timeout: float = 10.0,
) -> None:
    """Publish ``(event, msg_id)`` pairs; returns when every one is acknowledged.

    Raises:
        PublishError: An event could not be published even after retries.
    """
    if not events:
        return
    topology = publisher.topology
    futures: list[asyncio.Future[PubAck]] = []
    for event, msg_id in events:
        future = await js.publish_async(
            topology.subject(subject_for(event)),
            encode(event),
            headers=publisher.headers_for(event, msg_id=msg_id),
        )
        futures.append(future)
    _, pending = await asyncio.wait(futures, timeout=ack_timeout)
    for waiting in pending:
        waiting.cancel()
    retry = [
        pair
        for pair, future in zip(events, futures, strict=True)
        if future in pending or future.cancelled() or future.exception() is not None
    ]
    if retry:
        log.warning("%d of %d publishes not acknowledged; retrying", len(retry), len(events))
        await asyncio.gather(*(publisher.publish(event, msg_id=msg_id) for event, msg_id in retry))
