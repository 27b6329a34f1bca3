"""Stream events → published facts → checkpoint, pipelined.

For each batch of lines of one stream: decode, skip what was already applied, apply the
transition law to the company states, and send the resulting events as JetStream atomic batches.
While their acknowledgements are awaited the next batch is already being read and applied (at
most ``depth`` batches in flight). A batch's states and its last timepoint are stored in one
transaction only after its own events and every earlier batch's are acknowledged and stored, in
stream order: the checkpoint is always the highest timepoint whose events, and all earlier ones,
are durably published. A crash anywhere replays from the checkpoint; the replay derives the same
events with the same ``Nats-Msg-Id`` (``<stream>:<timepoint>``, suffixed for transitions), which
JetStream drops.

States applied but not yet stored stay in memory so that the next batch decides on them. While
any batch is in flight the processor holds the lock shared by every writer of company states in
this process (the other stream, gateway answers), so nobody decides on a stored state that is
about to be replaced. When another writer waits for it, the processor finishes what is in flight
and lets it go first, so the streams still interleave batch by batch, as they arrive.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from typing import Literal

import msgspec
from nats.aio.client import Client as NatsClient
from opentelemetry import trace
from prometheus_client import Counter

from leadpipe_bus import Publisher
from leadpipe_bus.telemetry import Label
from leadpipe_contracts import Event, utcnow
from leadpipe_contracts.companies import (
    CompanyObserved,
    LeftReason,
    Source,
    StrikeOffEntered,
    StrikeOffKind,
    StrikeOffKindIdentified,
    StrikeOffLeft,
)
from leadpipe_db import Database
from stream_ingest.adapters import repository as repo
from stream_ingest.adapters.publishing import BatchPublisher, encode_events, start_origins
from stream_ingest.envelope import (
    DECODERS,
    CompanyEnvelope,
    FilingEnvelope,
    company_number_from_uri,
    parse_published_at,
)
from stream_ingest.filings import SignalType, classify
from stream_ingest.profiles import profile_from_view
from stream_ingest.transitions import CompanyState, Observation, Outcome, end_strike_off, observe

log = logging.getLogger(__name__)

EVENTS_DECODED = Counter(
    "leadpipe_stream_events_total", "Stream events decoded, by stream.", [Label.STREAM]
)
LINES_REJECTED = Counter(
    "leadpipe_stream_lines_rejected_total", "Stream lines that did not decode.", [Label.STREAM]
)
TRANSITIONS = Counter(
    "leadpipe_strikeoff_transitions_total", "Strike-off transitions.", [Label.CHANGE, Label.SOURCE]
)
DETAIL_FIELD = "company_status_detail"


class StateLock(asyncio.Lock):
    """The lock every writer of company states in this process takes; knows if one waits."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = 0

    async def acquire(self) -> Literal[True]:
        """Acquire the lock (counted as waiting until it is held)."""
        self.waiting += 1
        try:
            return await super().acquire()
        finally:
            self.waiting -= 1


@dataclasses.dataclass
class BatchResult:
    """What applying one batch did (its events are then published in the background)."""

    decoded: int = 0
    skipped: int = 0
    rejected: int = 0
    published: int = 0
    first_timepoint: int | None = None
    last_timepoint: int | None = None


@dataclasses.dataclass
class _Work:
    """State touched while applying one batch."""

    states: dict[str, CompanyState]
    signals: dict[str, repo.Signal]
    dirty_states: dict[str, CompanyState] = dataclasses.field(default_factory=dict)
    dirty_signals: dict[str, repo.Signal] = dataclasses.field(default_factory=dict)
    events: list[tuple[Event, str]] = dataclasses.field(default_factory=list)

    def put_state(self, state: CompanyState) -> None:
        self.states[state.company_number] = state
        self.dirty_states[state.company_number] = state

    def put_signal(self, signal: repo.Signal) -> None:
        self.signals[signal.company_number] = signal
        self.dirty_signals[signal.company_number] = signal


@dataclasses.dataclass
class _InFlight:
    """An applied batch on its way to the checkpoint."""

    work: _Work
    last: int
    gap: int | None
    first: int | None
    publishing: asyncio.Task[None]
    spans: dict[str, trace.Span]


class StreamProcessor:
    """Applies batches of one stream's lines; holds the stream's checkpoint.

    Args:
        nats: The NATS connection events are published on (atomic batches).
        publisher: The shared publisher (topology, headers, retries).
        stream: ``companies``, ``filings`` or ``officers``.
        signal_grace: How long a filing signal waits for a profile event before a profile
            check through the gateway becomes due.
        lock: Shared by every writer of company states in this process, so that two streams
            (and gateway answers) never decide on the same stale state concurrently.
        clock: Current time (tests may pin it).
        depth: Most batches applied but not yet checkpointed.
    """

    def __init__(
        self,
        db: Database,
        nats: NatsClient,
        publisher: Publisher,
        stream: str,
        *,
        signal_grace: dt.timedelta,
        lock: StateLock | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        depth: int = 3,
    ) -> None:
        self._db = db
        self._publisher = publisher
        self._batches = BatchPublisher(nats, publisher)
        self.stream = stream
        self._decoder = DECODERS[stream]
        self._grace = signal_grace
        self._clock = clock
        self._lock = lock or StateLock()
        self._depth = max(1, depth)
        self.position: int | None = None
        self.last_event_at: dt.datetime | None = None
        self.open_gap: int | None = None
        # Pipeline: applied position, unsaved states, batches in flight (oldest first).
        self._applied: int | None = None
        self._states: dict[str, CompanyState] = {}
        self._signals: dict[str, repo.Signal] = {}
        self._in_flight: collections.deque[asyncio.Task[None]] = collections.deque()
        self._failure: BaseException | None = None
        self._applying = False
        self._held = False

    async def load_position(self) -> int | None:
        """Read the stored checkpoint (the last published timepoint)."""
        async with self._db.pool.acquire() as connection:
            self.position = (await repo.positions(connection)).get(self.stream)
        self._applied = self.position
        return self.position

    def restart(self, gap: int) -> None:
        """Continue without a position after the gap ``gap`` (the stream refused the old one)."""
        self.position = self._applied = None
        self.open_gap = gap

    async def handle(self, lines: list[bytes]) -> BatchResult:
        """Apply one batch of non-empty lines in stream order and start publishing its events.

        Returns once the batch is applied; its acknowledgements and checkpoint follow in the
        background (``drain`` waits for them).

        Raises:
            Exception: Publishing or checkpointing an earlier batch failed; everything after the
                checkpoint was abandoned and must be read again.
        """
        if self._failure is not None:
            await self.drain()
        await self._take_turn()
        self._applying = True
        try:
            return await self._handle(lines)
        finally:
            self._applying = False
            if not self._in_flight:
                self._release()

    async def drain(self) -> None:
        """Wait until every applied batch is published and checkpointed.

        Raises:
            Exception: What made a batch fail; the batches after the checkpoint are abandoned.
        """
        if self._in_flight:
            await asyncio.wait(list(self._in_flight))
        failure, self._failure = self._failure, None
        self._states.clear()
        self._signals.clear()
        self._applied = self.position
        self._release()
        if failure is not None:
            raise failure

    async def abandon(self) -> None:
        """Stop: cancel what is in flight (it is read again from the checkpoint next time)."""
        tasks = list(self._in_flight)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._failure = None
        self._states.clear()
        self._signals.clear()
        self._applied = self.position
        self._release()

    async def _take_turn(self) -> None:
        if self._held:
            if not self._lock.waiting:
                return
            await self.drain()  # releases the lock: the waiting writer goes first
        await self._lock.acquire()
        self._held = True

    def _release(self) -> None:
        if self._held:
            self._held = False
            self._lock.release()

    async def _handle(self, lines: list[bytes]) -> BatchResult:
        result = BatchResult()
        envelopes: list[CompanyEnvelope | FilingEnvelope] = []
        last = self._applied
        for line in lines:
            try:
                envelope = self._decoder.decode(line)
            except msgspec.DecodeError as exc:
                result.rejected += 1
                LINES_REJECTED.labels(self.stream).inc()
                log.warning(
                    "undecodable stream line skipped",
                    extra={"stream": self.stream, "error": str(exc), "line": line[:200]},
                )
                continue
            timepoint = envelope.event.timepoint
            if last is not None and timepoint <= last:
                result.skipped += 1
                continue
            last = timepoint
            result.decoded += 1
            if result.first_timepoint is None:
                result.first_timepoint = timepoint
            if isinstance(envelope, CompanyEnvelope | FilingEnvelope):
                envelopes.append(envelope)
        EVENTS_DECODED.labels(self.stream).inc(result.decoded)
        if result.decoded == 0:
            return result
        assert last is not None
        result.last_timepoint = last
        work = await self._load(envelopes)
        for envelope in envelopes:
            if isinstance(envelope, CompanyEnvelope):
                self._company_event(envelope, work)
            else:
                self._filing_event(envelope, work)
        spans = start_origins(self.stream, work.events) if work.events else {}
        messages = encode_events(self._publisher, work.events, spans)
        result.published = len(messages)
        # Encoded: the event objects would only keep the cycle collector busy while in flight.
        work.events.clear()
        batch = _InFlight(
            work=work,
            last=last,
            gap=self.open_gap,
            first=result.first_timepoint,
            publishing=asyncio.create_task(self._batches.publish(messages)),
            spans=spans,
        )
        self.open_gap = None
        self._applied = last
        self._states.update(work.dirty_states)
        self._signals.update(work.dirty_signals)
        previous = self._in_flight[-1] if self._in_flight else None
        task = asyncio.create_task(self._checkpoint(previous, batch), name=f"checkpoint:{last}")
        task.add_done_callback(self._settled)
        self._in_flight.append(task)
        if len(self._in_flight) >= self._depth:
            await asyncio.wait([self._in_flight[0]])
        return result

    async def _load(self, envelopes: list[CompanyEnvelope | FilingEnvelope]) -> _Work:
        """The current states and signals of the batch's companies (unsaved ones first)."""
        numbers = {n for e in envelopes if (n := _number(e)) is not None}
        # Taken before the reads: a checkpoint finishing meanwhile drops what it stored.
        states = {n: s for n in numbers if (s := self._states.get(n)) is not None}
        signals = {n: g for n in numbers if (g := self._signals.get(n)) is not None}
        missing = numbers.difference(states)
        unsigned = numbers.difference(signals)
        if missing or unsigned:
            async with self._db.pool.acquire() as connection:
                stored, signed = await repo.load_current(connection, missing | unsigned)
            states.update((n, s) for n, s in stored.items() if n in missing)
            signals.update((n, g) for n, g in signed.items() if n in unsigned)
        return _Work(states, signals)

    async def _checkpoint(self, previous: asyncio.Task[None] | None, batch: _InFlight) -> None:
        """Store the batch's states and position once it and every earlier batch are published."""
        try:
            await batch.publishing
        finally:
            for span in batch.spans.values():
                span.end()
        if previous is not None:
            await previous  # its failure is ours: never checkpoint past an unpublished batch
        work = batch.work
        async with self._db.transaction() as connection:
            if work.dirty_states:
                await repo.save_states(connection, work.dirty_states.values())
            if work.dirty_signals:
                await repo.save_signals(connection, work.dirty_signals.values())
            await repo.save_position(connection, self.stream, batch.last)
            if batch.gap is not None and batch.first is not None:
                await repo.close_gap(connection, batch.gap, batch.first)
        self.position = batch.last
        self.last_event_at = self._clock()
        for number, state in work.dirty_states.items():
            if self._states.get(number) is state:
                del self._states[number]
        for number, signal in work.dirty_signals.items():
            if self._signals.get(number) is signal:
                del self._signals[number]

    def _settled(self, task: asyncio.Task[None]) -> None:
        if self._in_flight and self._in_flight[0] is task:
            self._in_flight.popleft()
        elif task in self._in_flight:
            self._in_flight.remove(task)
        error = None if task.cancelled() else task.exception()
        if error is not None and self._failure is None:
            self._failure = error
            log.warning("stream %s: publishing or checkpoint failed: %r", self.stream, error)
        if not self._in_flight and not self._applying:
            self._release()

    # -- companies stream ------------------------------------------------------------------

    def _company_event(self, envelope: CompanyEnvelope, work: _Work) -> None:
        meta = envelope.event
        ref = f"{self.stream}:{meta.timepoint}"
        observed_at = parse_published_at(meta.published_at) or self._clock()
        data = envelope.data
        number = _number(envelope)
        if number is None:
            return
        current = work.states.get(number)
        in_order = self._in_order(current, meta.timepoint)
        if data is None or meta.type == "deleted":
            if current is not None:
                outcome = end_strike_off(
                    current, LeftReason.STATUS_CHANGED, observed_at, ref, in_order=in_order
                )
                self._transitions(outcome, work, ref, observed_at, "profile")
            return
        profile = profile_from_view(data)
        detail_known = data.company_status_detail is not None or (
            meta.fields_changed is not None and DETAIL_FIELD in meta.fields_changed
        )
        signal = work.signals.get(number)
        observation = Observation(
            company_number=number,
            company_name=profile.company_name,
            status=profile.status,
            status_detail=profile.status_detail,
            raw_status=profile.raw_status,
            observed_at=observed_at,
            source=Source.STREAM,
            source_ref=ref,
            detail_known=detail_known,
            etag=profile.etag,
        )
        outcome = observe(
            current, observation, kind_hint=signal.kind if signal else None, in_order=in_order
        )
        if outcome.state is None:
            return
        if outcome.changed:
            work.events.append(
                (
                    CompanyObserved(
                        event_id=ref,
                        occurred_at=observed_at,
                        correlation_id=ref,
                        profile=profile,
                        source=Source.STREAM,
                        source_ref=ref,
                        observed_at=observed_at,
                    ),
                    ref,
                )
            )
        self._transitions(outcome, work, ref, observed_at, "profile")
        if signal is not None and signal.check_due_at is not None and outcome.state.strike_off:
            # The profile settled what the filing suggested: no fetch needed.
            work.put_signal(dataclasses.replace(signal, check_due_at=None))

    # -- filings stream --------------------------------------------------------------------

    def _filing_event(self, envelope: FilingEnvelope, work: _Work) -> None:
        data = envelope.data
        number = _number(envelope)
        if data is None or number is None:
            return
        found = classify(data.description, data.type)
        if found is None:
            return
        meta = envelope.event
        ref = f"{self.stream}:{meta.timepoint}"
        observed_at = parse_published_at(meta.published_at) or self._clock()
        current = work.states.get(number)
        signal = work.signals.get(number)
        if found.type is SignalType.ENDED:
            assert found.reason is not None
            if current is not None:
                outcome = end_strike_off(
                    current,
                    found.reason,
                    observed_at,
                    ref,
                    in_order=self._in_order(current, meta.timepoint),
                )
                self._transitions(outcome, work, ref, observed_at, "filing")
            if signal is not None and signal.check_due_at is not None:
                work.put_signal(dataclasses.replace(signal, check_due_at=None))
            return
        kind = found.kind.value
        if current is not None and current.strike_off:
            if current.strike_off_kind in (None, StrikeOffKind.UNKNOWN.value):
                work.put_state(msgspec.structs.replace(current, strike_off_kind=kind))
                if found.kind is not StrikeOffKind.UNKNOWN:
                    # StrikeOffEntered already went out without the kind: tell consumers now.
                    work.events.append(
                        (
                            StrikeOffKindIdentified(
                                event_id=f"{ref}:kind",
                                occurred_at=observed_at,
                                correlation_id=ref,
                                causation_id=ref,
                                company_number=number,
                                kind=found.kind,
                                signal=found.type.value,
                                source=Source.STREAM,
                                source_ref=ref,
                                observed_at=observed_at,
                            ),
                            f"{ref}:kind",
                        )
                    )
            return
        due = None
        if found.type is SignalType.PROPOSAL:
            due = self._clock() + self._grace
        work.put_signal(
            repo.Signal(
                company_number=number,
                kind=kind,
                signal=found.type.value,
                observed_at=observed_at,
                check_due_at=due,
                requested_at=signal.requested_at if signal else None,
                request_id=signal.request_id if signal else None,
                priority="high" if due else None,
            )
        )

    # -- shared ----------------------------------------------------------------------------

    def _in_order(self, current: CompanyState | None, timepoint: int) -> bool:
        """Whether ``current`` came from an earlier timepoint of this very stream."""
        if current is None:
            return False
        stream, _, position = current.source_ref.partition(":")
        return stream == self.stream and position.isdigit() and int(position) < timepoint

    def _transitions(
        self,
        outcome: Outcome,
        work: _Work,
        ref: str,
        observed_at: dt.datetime,
        signal: str,
    ) -> None:
        state = outcome.state
        if state is None:
            return
        work.put_state(state)
        if outcome.entered:
            TRANSITIONS.labels("entered", "stream").inc()
            work.events.append(
                (
                    StrikeOffEntered(
                        event_id=f"{ref}:entered",
                        occurred_at=observed_at,
                        correlation_id=ref,
                        causation_id=ref,
                        company_number=state.company_number,
                        company_name=state.company_name,
                        source=Source.STREAM,
                        signal=signal,
                        kind=StrikeOffKind(state.strike_off_kind or "unknown"),
                        entered_on=observed_at.date(),
                        observed_at=observed_at,
                    ),
                    f"{ref}:entered",
                )
            )
        if outcome.left is not None:
            TRANSITIONS.labels("left", "stream").inc()
            work.events.append(
                (
                    StrikeOffLeft(
                        event_id=f"{ref}:left",
                        occurred_at=observed_at,
                        correlation_id=ref,
                        causation_id=ref,
                        company_number=state.company_number,
                        source=Source.STREAM,
                        reason=outcome.left,
                        observed_at=observed_at,
                    ),
                    f"{ref}:left",
                )
            )


def _number(envelope: CompanyEnvelope | FilingEnvelope) -> str | None:
    if isinstance(envelope, CompanyEnvelope):
        if envelope.data is not None:
            return envelope.data.company_number.upper()
        if envelope.resource_id:
            return envelope.resource_id.upper()
    return company_number_from_uri(envelope.resource_uri)
