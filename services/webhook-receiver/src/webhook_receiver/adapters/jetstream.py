"""Storing accepted pushes in JetStream: a push counts as stored only once its PubAck arrived."""

from __future__ import annotations

import asyncio

from nats.aio.client import Client as NatsClient

from leadpipe_bus import Publisher, PublishError
from leadpipe_contracts.webhooks import SnovWebhookReceived
from webhook_receiver.ports import StoreUnavailable


class JetStreamStore:
    """Publishes ``SnovWebhookReceived`` with the body hash as ``Nats-Msg-Id``.

    Args:
        nats: The connection, checked first so an outage answers 503 at once instead of after
            the deadline.
        publisher: A publisher whose deadline is below ``timeout``.
        timeout: Seconds to wait for the acknowledgement in all.
    """

    def __init__(self, nats: NatsClient, publisher: Publisher, timeout: float) -> None:
        self._nats = nats
        self._publisher = publisher
        self._timeout = timeout

    async def store(self, event: SnovWebhookReceived) -> bool:
        """Publish and wait for the acknowledgement; False when JetStream saw it before."""
        if not self._nats.is_connected:
            raise StoreUnavailable("NATS is not connected")
        try:
            async with asyncio.timeout(self._timeout):
                ack = await self._publisher.publish(event, msg_id=event.event_id)
        except (TimeoutError, PublishError) as exc:
            raise StoreUnavailable(f"not acknowledged: {exc!r}") from exc
        return not ack.duplicate
