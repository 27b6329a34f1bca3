"""Pulls requests from the three priority consumers, strictly by priority.

The shared consumer runner would keep fetching from every consumer, also on a standby that
must not touch the queue, and would hold low-priority messages while high-priority ones are
still in the broker. This feeder fetches only while this instance is the leader, never more than
the per-priority limit held in memory, and from a lower priority only while every higher one is
known to be empty (each fetched message carries the consumer's remaining backlog). The ack
policy stays the runner's: answered → ack; answer not publishable → nak with the consumer's
retry delay, dead letter after ``max_deliver``; undecodable → dead letter + term; shutdown or
step-down → nak at once so the next leader serves it without waiting for the ack timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import msgspec
import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from ch_gateway.domain import RequestView
from leadpipe_bus import ConsumerSpec, DeadLetterWriter, Delivery, Topology
from leadpipe_bus.headers import MSG_ID
from leadpipe_bus.runner import consumer_span
from leadpipe_bus.telemetry import Attr
from leadpipe_contracts import Decoder
from leadpipe_contracts.gateway import Priority

log = logging.getLogger(__name__)

PRIORITIES = (Priority.HIGH, Priority.NORMAL, Priority.LOW)
_MAX_BATCH = 256
Admit = Callable[[RequestView, Priority, "MessageTicket", float], Awaitable[None]]


class MessageTicket:
    """A held JetStream message, as the gateway's ``Ticket``."""

    def __init__(
        self, message: Msg, spec: ConsumerSpec, topology: Topology, dead_letters: DeadLetterWriter
    ) -> None:
        self._message = message
        self._spec = spec
        self._topology = topology
        self._dead_letters = dead_letters
        metadata = message.metadata
        self.deliveries = metadata.num_delivered or 1
        self.sequence = metadata.sequence.stream if metadata.sequence else 0
        self.published_at = metadata.timestamp.timestamp() if metadata.timestamp else 0.0

    async def ack(self) -> None:
        """Answered."""
        await self._message.ack()

    async def release(self) -> None:
        """Redeliver now (to whichever instance leads)."""
        with contextlib.suppress(nats.errors.Error):
            await self._message.nak()

    async def in_progress(self) -> None:
        """Extend the ack deadline."""
        with contextlib.suppress(nats.errors.Error):
            await self._message.in_progress()

    async def retry_later(self, reason: str) -> None:
        """Nak with the consumer's delay, or dead-letter once deliveries are exhausted."""
        if self.deliveries >= self._spec.max_deliver:
            await self.dead_letter(f"gave up after {self.deliveries} deliveries: {reason}")
            return
        with contextlib.suppress(nats.errors.Error):
            await self._message.nak(delay=self._spec.retry_delay(self.deliveries))

    async def dead_letter(self, reason: str) -> None:
        """Record the message as a dead letter, then terminate it (left alone if unrecorded)."""
        message = self._message
        headers = dict(message.headers or {})
        log.error(
            "request dead-lettered",
            extra={"subject": message.subject, "msg_id": headers.get(MSG_ID), "error": reason},
        )
        await self._dead_letters.record(
            consumer=self._topology.durable(self._spec),
            stream=self._topology.stream_name(self._spec.stream),
            subject=message.subject,
            stream_sequence=self.sequence,
            data=message.data,
            headers=headers,
            deliveries=self.deliveries,
            error=reason,
        )
        await message.term()


class PriorityFeeder:
    """Feeds request messages to the gateway (see the module docstring).

    Args:
        js: JetStream.
        topology: Resolves the consumers' real names.
        specs: The consumer of each priority.
        admit: The gateway's admission.
        held: How many requests of a priority the gateway holds now.
        leader: Whether this instance may take work.
        limits: Most requests of each priority held at once.
        dead_letters: Where undecodable requests are recorded.
        poll_seconds: Longest wait of one pull request.
    """

    def __init__(
        self,
        js: JetStreamContext,
        topology: Topology,
        specs: dict[Priority, ConsumerSpec],
        *,
        admit: Admit,
        held: Callable[[Priority], int],
        leader: Callable[[], bool],
        limits: dict[Priority, int],
        dead_letters: DeadLetterWriter,
        poll_seconds: float = 1.0,
    ) -> None:
        self._js = js
        self._topology = topology
        self._specs = specs
        self._admit = admit
        self._held = held
        self._leader = leader
        self._limits = limits
        self._dead_letters = dead_letters
        self._poll = poll_seconds
        self._decoder: Decoder[RequestView] = Decoder(RequestView)
        self._subscriptions: dict[Priority, JetStreamContext.PullSubscription] = {}
        # Messages known to wait in each consumer (from the last fetch); -1 = unknown.
        self._backlog: dict[Priority, int] = dict.fromkeys(PRIORITIES, -1)
        self._wake = {priority: asyncio.Event() for priority in PRIORITIES}

    @property
    def bound(self) -> bool:
        """Whether all three consumers are bound."""
        return len(self._subscriptions) == len(PRIORITIES)

    def poke(self) -> None:
        """Re-evaluate whether each priority may fetch (held counts or leadership changed)."""
        for event in self._wake.values():
            event.set()

    async def bind(self) -> None:
        """Bind the durable pull consumers (created by the runtime from the topology)."""
        for priority in PRIORITIES:
            spec = self._specs[priority]
            self._subscriptions[priority] = await self._js.pull_subscribe_bind(
                durable=self._topology.durable(spec),
                stream=self._topology.stream_name(spec.stream),
            )

    async def backlog(self) -> dict[Priority, int]:
        """Messages waiting in each consumer (not yet delivered), from the server."""
        found: dict[Priority, int] = {}
        for priority in PRIORITIES:
            spec = self._specs[priority]
            try:
                info = await self._js.consumer_info(
                    self._topology.stream_name(spec.stream), self._topology.durable(spec)
                )
                found[priority] = int(info.num_pending or 0)
            except nats.errors.Error:
                found[priority] = max(self._backlog[priority], 0)
        return found

    async def run(self) -> None:
        """Fetch for every priority until cancelled."""
        if not self.bound:
            await self.bind()
        try:
            await asyncio.gather(*(self._loop(priority) for priority in PRIORITIES))
        finally:
            # Pending pull requests would otherwise hold up the connection's drain on stop.
            subscriptions, self._subscriptions = self._subscriptions, {}
            for subscription in subscriptions.values():
                with contextlib.suppress(Exception):
                    await subscription.unsubscribe()

    def _may_fetch(self, priority: Priority) -> bool:
        # Refill in batches of at least a quarter of the limit: one pull per answered request
        # would make the broker's round trip, not the quota, the pace under load.
        room = self._limits[priority] - self._held(priority)
        if not self._leader() or room < max(1, self._limits[priority] // 4):
            return False
        higher = PRIORITIES[: PRIORITIES.index(priority)]
        return all(self._backlog[p] == 0 for p in higher)

    async def _loop(self, priority: Priority) -> None:
        subscription = self._subscriptions[priority]
        wake = self._wake[priority]
        while True:
            wake.clear()
            if not self._may_fetch(priority):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), self._poll)
                continue
            room = self._limits[priority] - self._held(priority)
            known = self._backlog[priority]
            batch = max(1, min(room, known, _MAX_BATCH))
            try:
                messages = await subscription.fetch(batch, timeout=self._poll)
            except (TimeoutError, nats.errors.TimeoutError):
                self._set_backlog(priority, 0)
                continue
            except (nats.errors.ConnectionClosedError, nats.errors.ConnectionReconnectingError):
                await asyncio.sleep(self._poll)
                continue
            except nats.errors.Error as exc:
                log.warning("fetch of %s requests failed: %r", priority.value, exc)
                await asyncio.sleep(self._poll)
                continue
            for message in messages:
                self._set_backlog(priority, int(message.metadata.num_pending or 0))
                await self._take(priority, message)

    def _set_backlog(self, priority: Priority, value: int) -> None:
        before, self._backlog[priority] = self._backlog[priority], value
        if (before == 0) != (value == 0):
            # Only emptiness gates the lower priorities.
            self.poke()

    async def _take(self, priority: Priority, message: Msg) -> None:
        spec = self._specs[priority]
        ticket = MessageTicket(message, spec, self._topology, self._dead_letters)
        try:
            try:
                request = self._decoder.decode(message.data)
            except msgspec.DecodeError as exc:
                await ticket.dead_letter(f"undecodable request: {exc}")
                return
            # Admission runs in the request's trace; the gateway keeps it for the call and answer.
            delivery = _delivery(message, self._topology)
            with consumer_span(spec, self._topology.durable(spec), delivery, request) as span:
                span.set_attribute(Attr.GATEWAY_PRIORITY, priority.value)
                await self._admit(request, priority, ticket, ticket.published_at)
        except Exception:
            # Left unacknowledged: the broker redelivers it after the ack wait.
            log.exception("could not take a %s request", priority.value)


def _delivery(message: Msg, topology: Topology) -> Delivery:
    headers = dict(message.headers or {})
    metadata = message.metadata
    return Delivery(
        subject=topology.base_subject(message.subject),
        msg_id=headers.get(MSG_ID),
        deliveries=metadata.num_delivered or 1,
        stream_sequence=metadata.sequence.stream if metadata.sequence else 0,
        headers=headers,
    )
