"""Publishing events to JetStream: de-duplication id, trace context, retry until acknowledged."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping

import nats.errors
from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import APIError, ServiceUnavailableError
from opentelemetry.context import Context

from leadpipe_bus.errors import PublishError
from leadpipe_bus.headers import EVENT_TYPE, MSG_ID, PRODUCER, inject_trace
from leadpipe_bus.metrics import PUBLISH_RETRIES, PUBLISHED
from leadpipe_bus.topology import Topology, subject_for
from leadpipe_contracts import Event, encode

log = logging.getLogger(__name__)

BROKER_UNAVAILABLE: tuple[type[Exception], ...] = (
    asyncio.TimeoutError,
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.OutboundBufferLimitError,
)
"""What a publish or request raises while the broker cannot be reached or does not answer."""

_RETRYABLE: tuple[type[Exception], ...] = (*BROKER_UNAVAILABLE, ServiceUnavailableError)


class Publisher:
    """Publishes events and waits for JetStream's acknowledgement.

    A publish counts only once its PubAck arrives: a message buffered by the client during an
    outage is not durable. Until ``deadline`` seconds have passed, timeouts and outages are
    retried with the same ``Nats-Msg-Id``, so a retry of a publish that did land is dropped by
    the server as a duplicate.
    """

    def __init__(
        self,
        js: JetStreamContext,
        topology: Topology,
        producer: str,
        *,
        ack_timeout: float = 5.0,
        deadline: float = 60.0,
    ) -> None:
        self._js = js
        self._topology = topology
        self._producer = producer
        self._ack_timeout = ack_timeout
        self._deadline = deadline

    @property
    def topology(self) -> Topology:
        """The topology subjects are resolved in."""
        return self._topology

    def headers_for(
        self, event: Event, *, msg_id: str | None = None, trace: Context | None = None
    ) -> dict[str, str]:
        """Headers for an event: de-duplication id, type, producer and trace context.

        The trace context is ``trace`` when given, else the current one, so the consumer's span
        continues the trace the event was produced in.
        """
        tag = type(event).__struct_config__.tag
        headers = {MSG_ID: msg_id or event.event_id, EVENT_TYPE: str(tag), PRODUCER: self._producer}
        return inject_trace(headers, trace)

    async def publish(
        self, event: Event, *, subject: str | None = None, msg_id: str | None = None
    ) -> js_api.PubAck:
        """Publish an event on its declared subject (or ``subject``, a base subject).

        Raises:
            PublishError: Not acknowledged before the deadline, or refused (e.g. a full queue).
        """
        base = subject or subject_for(event)
        return await self.publish_raw(
            self._topology.subject(base), encode(event), self.headers_for(event, msg_id=msg_id)
        )

    async def publish_raw(
        self, subject: str, data: bytes, headers: Mapping[str, str]
    ) -> js_api.PubAck:
        """Publish bytes on a real (namespaced) subject, retrying until acknowledged.

        Raises:
            PublishError: As for ``publish``.
        """
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self._deadline
        delay = 0.1
        while True:
            try:
                ack = await self._js.publish(
                    subject, data, timeout=self._ack_timeout, headers=dict(headers)
                )
            except _RETRYABLE as exc:
                if loop.time() + delay >= give_up_at:
                    raise PublishError(f"publish to {subject} not acknowledged: {exc!r}") from exc
                PUBLISH_RETRIES.inc()
                log.warning("publish to %s failed (%r); retrying in %.2fs", subject, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0) * random.uniform(0.8, 1.2)
                continue
            except APIError as exc:
                raise PublishError(f"publish to {subject} refused: {exc.description}") from exc
            PUBLISHED.labels(self._topology.base_subject(subject), str(bool(ack.duplicate))).inc()
            return ack
