"""The one place where handler outcomes become JetStream acknowledgements.

Handlers never touch the message. They return normally (ack), raise ``TransientError``/``Retry``
or any unexpected exception (nak with a delay; dead-letter once ``max_deliver`` is reached), raise
``PermanentError`` (dead-letter and term at once), or are cancelled (no ack: redelivered after the
ack wait). An undecodable message is dead-lettered with the decoder's precise reason. While a
handler runs, the runner sends progress heartbeats so a slow handler is not redelivered to
another worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Generic, TypeVar

import msgspec
import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from opentelemetry import trace

from leadpipe_bus.deadletter import DeadLetterWriter
from leadpipe_bus.errors import PermanentError, TransientError
from leadpipe_bus.headers import EVENT_TYPE, MSG_ID, extract_trace
from leadpipe_bus.metrics import HANDLE_SECONDS, IN_FLIGHT, MESSAGES
from leadpipe_bus.telemetry import Attr, SpanName, Value
from leadpipe_bus.topology import ConsumerSpec, Topology
from leadpipe_contracts import Decoder

T = TypeVar("T")
log = logging.getLogger(__name__)
tracer = trace.get_tracer("leadpipe.bus")


@dataclasses.dataclass(frozen=True)
class Delivery:
    """What a handler may know about the message besides its event.

    Attributes:
        subject: The base (un-namespaced) subject.
        msg_id: The publisher's ``Nats-Msg-Id``.
        deliveries: 1 on first delivery, more on redeliveries.
        stream_sequence: Position in the stream; monotonic per stream.
    """

    subject: str
    msg_id: str | None
    deliveries: int
    stream_sequence: int
    headers: Mapping[str, str]


Handler = Callable[[T, Delivery], Awaitable[None]]


@contextlib.contextmanager
def consumer_span(
    spec: ConsumerSpec, durable: str, delivery: Delivery, event: object = None
) -> Iterator[trace.Span]:
    """The CONSUMER span of one delivery, continuing the trace its headers carry.

    ``event`` (when decoded) adds its company number, so a company's trace can be found by it.
    """
    attributes: dict[str, str | int] = {
        Attr.MESSAGING_SYSTEM: Value.NATS,
        Attr.MESSAGING_OPERATION: Value.PROCESS,
        Attr.MESSAGING_DESTINATION: delivery.subject,
        Attr.MESSAGING_CONSUMER_GROUP: durable,
        Attr.MESSAGING_MESSAGE_ID: delivery.msg_id or "",
        Attr.MESSAGING_DELIVERY_COUNT: delivery.deliveries,
        Attr.SERVICE: spec.service,
        Attr.EVENT_TYPE: delivery.headers.get(EVENT_TYPE, ""),
    }
    company_number = getattr(event, "company_number", None)
    if isinstance(company_number, str) and company_number:
        attributes[Attr.COMPANY_NUMBER] = company_number
    with tracer.start_as_current_span(
        SpanName.consume(spec.durable),
        context=extract_trace(delivery.headers),
        kind=trace.SpanKind.CONSUMER,
        attributes=attributes,
        # Exception messages may quote personal data; ``failed`` records the type only.
        record_exception=False,
    ) as span:
        yield span


def failed(span: trace.Span, exc: BaseException) -> None:
    """Mark ``span`` failed by ``exc``'s type (its message may hold personal data)."""
    span.set_attribute(Attr.ERROR_TYPE, type(exc).__name__)
    span.set_status(trace.StatusCode.ERROR, type(exc).__name__)


@dataclasses.dataclass(frozen=True)
class Subscription(Generic[T]):
    """A consumer, the type its messages decode into, and the handler that processes them."""

    spec: ConsumerSpec
    event_type: object
    handler: Handler[T]


class ConsumerRunner(Generic[T]):
    """Pulls messages for one durable consumer and applies its handler to each.

    Args:
        js: JetStream context.
        topology: Resolves the consumer's real names.
        subscription: What to consume and how.
        dead_letters: Where given-up messages are recorded.
        fetch_timeout: Seconds one pull waits for messages.
    """

    def __init__(
        self,
        js: JetStreamContext,
        topology: Topology,
        subscription: Subscription[T],
        dead_letters: DeadLetterWriter,
        *,
        fetch_timeout: float = 2.0,
    ) -> None:
        self._js = js
        self._topology = topology
        self._subscription = subscription
        self._spec = subscription.spec
        self._decoder: Decoder[T] = Decoder(subscription.event_type)
        self._dead_letters = dead_letters
        self._fetch_timeout = fetch_timeout
        self._durable = topology.durable(self._spec)
        self._slots = asyncio.Semaphore(self._spec.concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self.bound = False

    @property
    def durable(self) -> str:
        """The real durable consumer name."""
        return self._durable

    async def run(self) -> None:
        """Fetch and handle messages until ``stop`` is called; survives broker outages."""
        stream = self._topology.stream_name(self._spec.stream)
        subscription = await self._js.pull_subscribe_bind(durable=self._durable, stream=stream)
        self.bound = True
        try:
            while not self._stopping.is_set():
                await self._slots.acquire()
                free = 1
                while free < self._spec.concurrency and not self._slots.locked():
                    await self._slots.acquire()
                    free += 1
                try:
                    messages = await subscription.fetch(free, timeout=self._fetch_timeout)
                except (TimeoutError, nats.errors.TimeoutError):
                    messages = []
                except (nats.errors.ConnectionClosedError, nats.errors.ConnectionReconnectingError):
                    messages = []
                    await self._pause()
                except nats.errors.Error as exc:
                    log.warning("fetch for %s failed: %r", self._durable, exc)
                    messages = []
                    await self._pause()
                for _ in range(free - len(messages)):
                    self._slots.release()
                for message in messages:
                    task = asyncio.create_task(self._handle(message))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
        finally:
            self.bound = False
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def _pause(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=1.0)

    async def stop(self, grace: float = 10.0) -> None:
        """Stop fetching, let in-flight handlers finish for ``grace`` seconds, cancel the rest.

        Cancelled handlers' messages are not acknowledged, so JetStream redelivers them.
        """
        self._stopping.set()
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    async def _handle(self, message: Msg) -> None:
        IN_FLIGHT.labels(self._durable).inc()
        try:
            await self._process(message)
        finally:
            IN_FLIGHT.labels(self._durable).dec()
            self._slots.release()

    async def _process(self, message: Msg) -> None:
        metadata = message.metadata
        headers = dict(message.headers or {})
        delivery = Delivery(
            subject=self._topology.base_subject(message.subject),
            msg_id=headers.get(MSG_ID),
            deliveries=metadata.num_delivered or 1,
            stream_sequence=metadata.sequence.stream if metadata.sequence else 0,
            headers=headers,
        )
        try:
            event = self._decoder.decode(message.data)
        except msgspec.DecodeError as exc:
            await self._give_up(message, delivery, f"undecodable message: {exc}")
            return
        started = time.perf_counter()
        with consumer_span(self._spec, self._durable, delivery, event) as span:
            heartbeat = asyncio.create_task(self._keep_alive(message))
            try:
                await self._subscription.handler(event, delivery)
            except asyncio.CancelledError:
                MESSAGES.labels(self._durable, "cancelled").inc()
                raise
            except PermanentError as exc:
                failed(span, exc)
                await self._give_up(message, delivery, f"permanent error: {exc}")
            except Exception as exc:
                failed(span, exc)
                await self._retry_or_give_up(message, delivery, exc)
            else:
                await message.ack()
                MESSAGES.labels(self._durable, "ack").inc()
            finally:
                heartbeat.cancel()
                HANDLE_SECONDS.labels(self._durable).observe(time.perf_counter() - started)

    async def _retry_or_give_up(self, message: Msg, delivery: Delivery, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {exc}"
        if delivery.deliveries >= self._spec.max_deliver:
            await self._give_up(
                message, delivery, f"gave up after {delivery.deliveries} deliveries: {reason}"
            )
            return
        delay = exc.delay if isinstance(exc, TransientError) and exc.delay is not None else None
        delay = self._spec.retry_delay(delivery.deliveries) if delay is None else delay
        log.warning(
            "handler failed; redelivering",
            extra={
                "consumer": self._durable,
                "subject": delivery.subject,
                "msg_id": delivery.msg_id,
                "deliveries": delivery.deliveries,
                "delay": delay,
                "error": reason,
            },
        )
        await message.nak(delay=delay)
        MESSAGES.labels(self._durable, "nak").inc()

    async def _give_up(self, message: Msg, delivery: Delivery, reason: str) -> None:
        """Record the message as a dead letter, then terminate it.

        If the record cannot be written the message is left unacknowledged (and comes back):
        nothing is terminated that is not recorded.
        """
        log.error(
            "message dead-lettered",
            extra={
                "consumer": self._durable,
                "subject": delivery.subject,
                "msg_id": delivery.msg_id,
                "stream_sequence": delivery.stream_sequence,
                "deliveries": delivery.deliveries,
                "error": reason,
            },
        )
        await self._dead_letters.record(
            consumer=self._durable,
            stream=self._topology.stream_name(self._spec.stream),
            subject=message.subject,
            stream_sequence=delivery.stream_sequence,
            data=message.data,
            headers=delivery.headers,
            deliveries=delivery.deliveries,
            error=reason,
        )
        await message.term()
        MESSAGES.labels(self._durable, "dead_letter").inc()

    async def _keep_alive(self, message: Msg) -> None:
        """Tell the server the message is still being worked on, so it is not redelivered."""
        interval = max(self._spec.ack_wait / 3, 0.5)
        with contextlib.suppress(nats.errors.Error):
            while True:
                await asyncio.sleep(interval)
                await message.in_progress()
