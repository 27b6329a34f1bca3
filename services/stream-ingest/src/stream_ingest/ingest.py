"""Stream events → published facts → checkpoint, in batches.

For each batch of lines of one stream: decode, skip what the checkpoint already covers, apply
the transition law to the stored states, publish the resulting events and wait for every
JetStream acknowledgement, and only then store the new states and the batch's last timepoint in
one transaction. A crash anywhere replays the batch; the replay derives the same events with the
same ``Nats-Msg-Id`` (``<stream>:<timepoint>``, suffixed for transitions), which JetStream drops.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable

import msgspec
from nats.js import JetStreamContext
from prometheus_client import Counter

from leadpipe_bus import Publisher
from leadpipe_contracts import Event, utcnow
from leadpipe_contracts.companies import (
    CompanyObserved,
    LeftReason,
    Source,
    StrikeOffEntered,
    StrikeOffKind,
    StrikeOffLeft,
)
from leadpipe_db import Database
from stream_ingest.adapters import repository as repo
from stream_ingest.adapters.publishing import publish_all
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
    "leadpipe_stream_events_total", "Stream events decoded, by stream.", ["stream"]
)
LINES_REJECTED = Counter(
    "leadpipe_stream_lines_rejected_total", "Stream lines that did not decode.", ["stream"]
)
TRANSITIONS = Counter(
    "leadpipe_strikeoff_transitions_total", "Strike-off transitions.", ["change", "source"]
)
DETAIL_FIELD = "company_status_detail"


@dataclasses.dataclass
class BatchResult:
    """What one batch did."""

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


class StreamProcessor:
    """Applies batches of one stream's lines; holds the stream's checkpoint.

    Args:
        stream: ``companies``, ``filings`` or ``officers``.
        signal_grace: How long a filing signal waits for a profile event before a profile
            check through the gateway becomes due.
        lock: Shared by every writer of company states in this process, so that two streams
            (and gateway answers) never decide on the same stale state concurrently.
        clock: Current time (tests may pin it).
    """

    def __init__(
        self,
        db: Database,
        js: JetStreamContext,
        publisher: Publisher,
        stream: str,
        *,
        signal_grace: dt.timedelta,
        lock: asyncio.Lock | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._db = db
        self._js = js
        self._publisher = publisher
        self.stream = stream
        self._decoder = DECODERS[stream]
        self._grace = signal_grace
        self._clock = clock
        self._lock = lock or asyncio.Lock()
        self.position: int | None = None
        self.last_event_at: dt.datetime | None = None
        self.open_gap: int | None = None

    async def load_position(self) -> int | None:
        """Read the stored checkpoint (the last published timepoint)."""
        async with self._db.pool.acquire() as connection:
            self.position = (await repo.positions(connection)).get(self.stream)
        return self.position

    async def handle(self, lines: list[bytes]) -> BatchResult:
        """Process one batch of non-empty lines in stream order."""
        async with self._lock:
            return await self._handle(lines)

    async def _handle(self, lines: list[bytes]) -> BatchResult:
        result = BatchResult()
        envelopes: list[CompanyEnvelope | FilingEnvelope] = []
        last = self.position
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
        result.last_timepoint = last
        numbers = {n for e in envelopes if (n := _number(e)) is not None}
        async with self._db.pool.acquire() as connection:
            work = _Work(
                await repo.load_states(connection, numbers),
                await repo.load_signals(connection, numbers),
            )
        for envelope in envelopes:
            if isinstance(envelope, CompanyEnvelope):
                self._company_event(envelope, work)
            else:
                self._filing_event(envelope, work)
        await publish_all(self._js, self._publisher, work.events)
        result.published = len(work.events)
        assert last is not None
        async with self._db.transaction() as connection:
            if work.dirty_states:
                await repo.save_states(connection, work.dirty_states.values())
            if work.dirty_signals:
                await repo.save_signals(connection, work.dirty_signals.values())
            await repo.save_position(connection, self.stream, last)
            if self.open_gap is not None and result.first_timepoint is not None:
                await repo.close_gap(connection, self.open_gap, result.first_timepoint)
        self.open_gap = None
        self.position = last
        self.last_event_at = self._clock()
        return result

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
                work.put_state(dataclasses.replace(current, strike_off_kind=kind))
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
