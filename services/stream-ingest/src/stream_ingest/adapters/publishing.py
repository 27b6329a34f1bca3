"""Publishing many events at once: JetStream atomic batches, pipelined acknowledgements.

``BatchPublisher`` sends up to 1,000 messages as one JetStream atomic batch (ADR-50): the server
stores them together and answers with one PubAck, so a broker with ``sync_interval: always``
fsyncs once per batch instead of once per message. Every message keeps its ``Nats-Msg-Id``: a
batch that repeats a stored id is refused whole (a replay after a crash, cut at other places),
and is then published one message at a time, where JetStream drops the repeats one by one.

``publish_all`` (and that fallback) sends every message with ``publish_async`` and collects the
PubAcks as they arrive, several times faster than one request/reply per event. Anything not
acknowledged in time (or refused) falls back to the shared ``Publisher``, which retries with the
same ``Nats-Msg-Id`` until acknowledged or gives up with ``PublishError`` — so the caller's rule
"checkpoint only after every ack" holds either way.

A stream event that moves a company into or out of strike-off starts the trace of its lead: one
``ingest <stream>`` span per such event (per correlation id), whose context every event derived
from it carries. Other events (profile observations, the bulk of a catch-up) and bulk snapshots
carry no trace context: a span per event would cost more than the publish itself.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Final, TypeAlias

import msgspec
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import Header, PubAck
from opentelemetry import trace
from opentelemetry.context import Context

from leadpipe_bus import BROKER_UNAVAILABLE, Publisher, subject_for
from leadpipe_bus.headers import MSG_ID
from leadpipe_bus.metrics import PUBLISHED
from leadpipe_bus.telemetry import Attr, SpanName
from leadpipe_contracts import Event, encode
from leadpipe_contracts.companies import StrikeOffEntered, StrikeOffLeft

tracer = trace.get_tracer(__name__)

log = logging.getLogger(__name__)

Message: TypeAlias = tuple[str, bytes, dict[str, str]]
"""A message ready to send: real (namespaced) subject, body, headers with its ``Nats-Msg-Id``."""

ATOMIC_BATCH_LIMIT: Final = 1_000
"""The most messages JetStream accepts in one atomic batch (server default)."""

_BATCH_ID: Final = str(Header.BATCH_ID.value)
_BATCH_SEQUENCE: Final = str(Header.BATCH_SEQUENCE.value)
_BATCH_COMMIT: Final = str(Header.BATCH_COMMIT.value)
_BATCH_HEADERS: Final = (_BATCH_ID, _BATCH_SEQUENCE, _BATCH_COMMIT)
_ATOMIC_DISABLED: Final = 10174
_DUPLICATE_IN_BATCH: Final = 10201
_NOT_ACKNOWLEDGED: tuple[type[Exception], ...] = (*BROKER_UNAVAILABLE, msgspec.DecodeError)


class _ApiError(msgspec.Struct):
    err_code: int = 0
    description: str = ""


class _BatchAck(msgspec.Struct):
    error: _ApiError | None = None
    count: int = 0


_ACK_DECODER: Final = msgspec.json.Decoder(_BatchAck)


class BatchPublisher:
    """Publishes messages in JetStream atomic batches; returns once every one is stored.

    Args:
        client: The core NATS connection (batches are plain publishes with batch headers).
        publisher: The shared publisher: its topology, and the one-by-one fallback.
        batch_size: Messages per atomic batch (at most ``ATOMIC_BATCH_LIMIT``).
        ack_timeout: How long a batch's PubAck may take before the batch is published one by one.
    """

    def __init__(
        self,
        client: NatsClient,
        publisher: Publisher,
        *,
        batch_size: int = ATOMIC_BATCH_LIMIT,
        ack_timeout: float = 10.0,
    ) -> None:
        self._client = client
        self._js = client.jetstream()
        self._publisher = publisher
        self._size = max(1, min(batch_size, ATOMIC_BATCH_LIMIT))
        self._timeout = ack_timeout
        self.atomic = True

    async def publish(self, messages: Sequence[Message]) -> None:
        """Publish ``messages``; returns when JetStream has stored every one.

        Raises:
            PublishError: A message could not be published even after retries.
        """
        if not messages:
            return
        if not self.atomic:
            await self._one_by_one(messages)
            return
        size = self._size
        # Each batch is sent whole before the next starts (no await yields in between unless
        # the client's buffer is full), so batches land in order; their acks are awaited together.
        await asyncio.gather(
            *(
                self._batch(messages[start : start + size])
                for start in range(0, len(messages), size)
            )
        )

    async def _batch(self, messages: Sequence[Message]) -> None:
        client = self._client
        batch_id = uuid.uuid4().hex
        last = len(messages) - 1
        # The batch headers go into the messages' own header dicts (no copy per message); the
        # one-by-one fallback takes them out again.
        for sequence, (_, _, headers) in enumerate(messages, start=1):
            headers[_BATCH_ID] = batch_id
            headers[_BATCH_SEQUENCE] = str(sequence)
        messages[last][2][_BATCH_COMMIT] = "1"
        try:
            for subject, data, headers in messages[:last]:
                await client.publish(subject, data, headers=headers)
            subject, data, headers = messages[last]
            reply = await client.request(subject, data, timeout=self._timeout, headers=headers)
            ack = _ACK_DECODER.decode(reply.data)
        except _NOT_ACKNOWLEDGED as exc:
            # Stored or not (an unfinished batch is abandoned by the server), publishing the
            # messages again by id settles it; the shared publisher rides out outages.
            log.warning("atomic batch of %d not acknowledged (%r); one by one", len(messages), exc)
            await self._one_by_one(messages)
            return
        if ack.error is None:
            topology = self._publisher.topology
            for base, count in Counter(topology.base_subject(m[0]) for m in messages).items():
                PUBLISHED.labels(base, "False").inc(count)
            return
        if ack.error.err_code == _ATOMIC_DISABLED:
            self.atomic = False
            log.warning("atomic batch publishing is disabled on the stream; publishing one by one")
        elif ack.error.err_code != _DUPLICATE_IN_BATCH:
            log.warning("atomic batch refused (%s); one by one", ack.error.description)
        # A batch repeating stored ids (a replay) is expected: its new messages still need storing.
        await self._one_by_one(messages)

    async def _one_by_one(self, messages: Sequence[Message]) -> None:
        for _, _, headers in messages:
            for key in _BATCH_HEADERS:
                headers.pop(key, None)
        await publish_messages(self._js, self._publisher, messages, ack_timeout=self._timeout)


def encode_events(
    publisher: Publisher,
    events: Sequence[tuple[Event, str]],
    origins: dict[str, trace.Span] | None = None,
) -> list[Message]:
    """``(event, msg_id)`` pairs as messages; each carries the trace of its stream event."""
    subject = publisher.topology.subject
    if origins:
        traces = {key: trace.set_span_in_context(span) for key, span in origins.items()}
        return [
            (
                subject(subject_for(event)),
                encode(event),
                publisher.headers_for(
                    event, msg_id=msg_id, trace=traces.get(event.correlation_id or event.event_id)
                ),
            )
            for event, msg_id in events
        ]
    # Without spans every message of a type carries the same headers but its id: build them once
    # per type (injecting the trace context costs more than encoding the event).
    templates: dict[type[Event], dict[str, str]] = {}
    messages: list[Message] = []
    for event, msg_id in events:
        template = templates.get(type(event))
        if template is None:
            template = templates[type(event)] = publisher.headers_for(event)
        headers = template.copy()
        headers[MSG_ID] = msg_id
        messages.append((subject(subject_for(event)), encode(event), headers))
    return messages


async def publish_all(
    js: JetStreamContext,
    publisher: Publisher,
    events: Sequence[tuple[Event, str]],
    *,
    ack_timeout: float = 10.0,
    stream: str | None = None,
) -> None:
    """Publish ``(event, msg_id)`` pairs; returns when every one is acknowledged.

    Args:
        stream: The Companies House stream the events came from: its events that enter or leave
            strike-off start a trace (see the module docstring).

    Raises:
        PublishError: An event could not be published even after retries.
    """
    if not events:
        return
    origins = start_origins(stream, events) if stream else {}
    try:
        messages = encode_events(publisher, events, origins)
        await publish_messages(js, publisher, messages, ack_timeout=ack_timeout)
    finally:
        for span in origins.values():
            span.end()


async def publish_messages(
    js: JetStreamContext,
    publisher: Publisher,
    messages: Sequence[Message],
    *,
    ack_timeout: float = 10.0,
) -> None:
    """Publish messages one by one with pipelined acks; returns when every one is acknowledged.

    Raises:
        PublishError: A message could not be published even after retries.
    """
    futures: list[asyncio.Future[PubAck]] = []
    for subject, data, headers in messages:
        futures.append(await js.publish_async(subject, data, headers=headers))
    _, pending = await asyncio.wait(futures, timeout=ack_timeout)
    for waiting in pending:
        waiting.cancel()
    retry = [
        message
        for message, future in zip(messages, futures, strict=True)
        if future in pending or future.cancelled() or future.exception() is not None
    ]
    if retry:
        log.warning("%d of %d publishes not acknowledged; retrying", len(retry), len(messages))
        # The same headers: a retry keeps its de-duplication id and its trace.
        await asyncio.gather(*(publisher.publish_raw(*message) for message in retry))


def start_origins(stream: str, events: Sequence[tuple[Event, str]]) -> dict[str, trace.Span]:
    """One span per stream event that enters or leaves strike-off: the root of its trace.

    Keyed by correlation id, so every event derived from that stream event (its
    ``CompanyObserved`` too) carries the trace. Other stream events, the bulk of a catch-up,
    start none: a span each would cost more than publishing them.
    """
    transitions = {
        event.correlation_id or event.event_id
        for event, _ in events
        if isinstance(event, StrikeOffEntered | StrikeOffLeft)
    }
    origins: dict[str, trace.Span] = {}
    for event, _ in events:
        key = event.correlation_id or event.event_id
        if key in origins or key not in transitions:
            continue
        _, _, timepoint = key.partition(":")
        attributes: dict[str, str | int] = {Attr.CH_STREAM: stream, Attr.CORRELATION_ID: key}
        if timepoint.isdigit():
            attributes[Attr.CH_TIMEPOINT] = int(timepoint)
        number = getattr(event, "company_number", None) or getattr(
            getattr(event, "profile", None), "company_number", None
        )
        if isinstance(number, str):
            attributes[Attr.COMPANY_NUMBER] = number
        span = tracer.start_span(
            SpanName.ingest(stream),
            context=Context(),
            kind=trace.SpanKind.CONSUMER,
            attributes=attributes,
        )
        if not span.get_span_context().is_valid:
            # Tracing is off (no SDK): every span would be this same no-op.
            span.end()
            return {}
        origins[key] = span
    return origins
