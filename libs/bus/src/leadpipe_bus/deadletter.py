"""Dead letters: messages a consumer gave up on, kept whole in the DEADLETTER stream.

``leadpipe dlq list`` reads them; ``leadpipe dlq retry`` republishes one to its original subject
(every consumer of that subject sees it again, which is safe because every consumer is
idempotent) and removes the record.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import nats.errors
from nats.js import JetStreamContext
from nats.js import api as js_api

from leadpipe_bus.headers import MSG_ID
from leadpipe_bus.publisher import Publisher
from leadpipe_contracts import Decoder, derive_id, utcnow
from leadpipe_contracts.status import DeadLetter

_decoder: Decoder[DeadLetter] = Decoder(DeadLetter)


class DeadLetterWriter:
    """Records dead letters through a publisher (so the record is durable before the term)."""

    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher

    async def record(
        self,
        *,
        consumer: str,
        stream: str,
        subject: str,
        stream_sequence: int,
        data: bytes,
        headers: Mapping[str, str],
        deliveries: int,
        error: str,
    ) -> None:
        """Publish a ``DeadLetter`` record (a repeated record of one message has the same id)."""
        record = DeadLetter(
            event_id=derive_id("deadletter", consumer, stream, stream_sequence),
            occurred_at=utcnow(),
            consumer=consumer,
            stream=stream,
            subject=subject,
            stream_sequence=stream_sequence,
            data=data,
            headers=dict(headers),
            deliveries=deliveries,
            error=error[:2_000],
        )
        await self._publisher.publish(record)


async def list_dead_letters(
    js: JetStreamContext, stream: str, *, consumer: str | None = None, limit: int = 1_000
) -> list[tuple[int, DeadLetter]]:
    """Read dead-letter records (with their sequence in the DEADLETTER stream), oldest first."""
    info = await js.stream_info(stream)
    found: list[tuple[int, DeadLetter]] = []
    if not info.state.messages:
        return found
    sequence = max(info.state.first_seq, 1)
    while sequence <= info.state.last_seq and len(found) < limit:
        with contextlib.suppress(nats.js.errors.NotFoundError):
            raw = await js.get_msg(stream, sequence)
            record = _decoder.decode(raw.data or b"")
            if consumer is None or record.consumer == consumer:
                found.append((sequence, record))
        sequence += 1
    return found


async def retry_dead_letter(
    js: JetStreamContext, publisher: Publisher, stream: str, sequence: int
) -> js_api.PubAck:
    """Republish a dead letter's original message, then delete the record.

    The original ``Nats-Msg-Id`` gets a retry suffix so JetStream's de-duplication window does
    not drop the second attempt; consumers still recognise the event by its body's ``event_id``.
    """
    raw = await js.get_msg(stream, sequence)
    record = _decoder.decode(raw.data or b"")
    headers = dict(record.headers)
    headers[MSG_ID] = f"{headers.get(MSG_ID, record.event_id)}:retry:{sequence}"
    ack = await publisher.publish_raw(record.subject, record.data, headers)
    await js.delete_msg(stream, sequence)
    return ack
