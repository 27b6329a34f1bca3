"""Following the Companies House streams: client, processor, gap handling, watchdog and status.

One ``StreamFollower`` per stream. Its health check is the watchdog: ``ok`` while connected with
recent data events, ``degraded`` when connected but silent for ``watchdog`` (an alerting state
of its own, as on the live service, which has accepted connections and sent only heartbeats for
days) or while reconnecting. Every state change is also published as a ``StreamStatus``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid

from leadpipe_bus import Publisher, PublishError
from leadpipe_contracts import utcnow
from leadpipe_contracts.companies import CompanyRecheckRequested
from leadpipe_contracts.gateway import Priority
from leadpipe_contracts.status import StreamStatus
from leadpipe_db import Database
from leadpipe_runtime import CheckResult, OutboxWriter, Status
from stream_ingest.adapters import repository as repo
from stream_ingest.adapters.stream_client import StreamClient, StreamState
from stream_ingest.ingest import StreamProcessor

log = logging.getLogger(__name__)


class StreamFollower:
    """Runs one stream: resume from the checkpoint, process, handle gaps, watch for silence."""

    def __init__(
        self,
        client: StreamClient,
        processor: StreamProcessor,
        db: Database,
        publisher: Publisher,
        outbox: OutboxWriter,
        *,
        watchdog: dt.timedelta,
    ) -> None:
        self.client = client
        self.processor = processor
        self._db = db
        self._publisher = publisher
        self._outbox = outbox
        self._watchdog = watchdog
        self.state = StreamState.CONNECTING
        self.detail: str | None = None
        self.connected_at: dt.datetime | None = None
        self.gaps = 0
        self._status_queue: asyncio.Queue[StreamStatus] = asyncio.Queue(maxsize=100)

    @property
    def stream(self) -> str:
        """The stream's name."""
        return self.processor.stream

    async def run(self) -> None:
        """Follow the stream until cancelled."""
        await self.processor.load_position()
        reporter = asyncio.create_task(self._report(), name=f"status:{self.stream}")
        watchdog = asyncio.create_task(self._watch(), name=f"watchdog:{self.stream}")
        try:
            await self.client.run(self._resume_at, self._on_lines, self._on_gap, self._on_state)
        finally:
            for task in (reporter, watchdog):
                task.cancel()
            await asyncio.gather(reporter, watchdog, return_exceptions=True)
            await self.processor.abandon()

    async def _resume_at(self) -> int | None:
        try:
            # Batches read before the connection ended are still being published: the position
            # to resume from is known once they are checkpointed (or abandoned).
            await self.processor.drain()
        except Exception as exc:
            log.warning("stream %s: resuming from the checkpoint after %r", self.stream, exc)
        position = self.processor.position
        # Resume after the last published event; replaying it would be harmless (skipped).
        return None if position is None else position + 1

    async def _on_lines(self, lines: list[bytes]) -> None:
        await self.processor.handle(lines)
        if self.state is StreamState.SILENT:
            self._on_state(StreamState.CONNECTED, "data events resumed")

    async def _on_gap(self, timepoint: int | None) -> None:
        """Resume without a timepoint, record the gap and queue low-priority re-checks."""
        self.gaps += 1
        gap_from = self.processor.position
        async with self._db.transaction() as connection:
            gap_id = await repo.record_gap(connection, self.stream, gap_from)
            await repo.forget_position(connection, self.stream)
            numbers = await repo.strike_off_numbers_for_recheck(connection)
            for number in numbers:
                await self._outbox.add(
                    connection,
                    CompanyRecheckRequested(
                        event_id=f"gap:{self.stream}:{gap_id}:{number}",
                        occurred_at=utcnow(),
                        company_number=number,
                        reason="stream_gap",
                        priority=Priority.LOW.value,
                    ),
                )
            await connection.execute(
                "UPDATE stream_gaps SET rechecks = $2 WHERE id = $1", gap_id, len(numbers)
            )
        self.processor.restart(gap_id)
        log.warning(
            "stream gap recorded",
            extra={"stream": self.stream, "gap_from": gap_from, "rechecks": len(numbers)},
        )
        self._enqueue(StreamState.RECONNECTING, "416: resuming without a timepoint", gap_from)

    def _on_state(self, state: StreamState, detail: str | None) -> None:
        if state is StreamState.CONNECTED and self.state is not StreamState.CONNECTED:
            self.connected_at = utcnow()
        if state is self.state and detail == self.detail:
            return
        self.state, self.detail = state, detail
        if state is not StreamState.CONNECTING:
            self._enqueue(state, detail, None)

    def _enqueue(self, state: StreamState, detail: str | None, gap_from: int | None) -> None:
        status = StreamStatus(
            event_id=str(uuid.uuid4()),
            occurred_at=utcnow(),
            stream=self.stream,
            state=state.value,
            last_timepoint=self.processor.position,
            last_event_at=self.processor.last_event_at,
            gap_from=gap_from,
            detail=detail,
        )
        try:
            self._status_queue.put_nowait(status)
        except asyncio.QueueFull:
            log.warning("stream status queue full; status %s not published", state)

    async def _report(self) -> None:
        """Publish status changes without ever holding up the stream."""
        while True:
            status = await self._status_queue.get()
            try:
                await self._publisher.publish(status)
            except PublishError as exc:
                log.warning("stream status not published: %s", exc)

    async def _watch(self) -> None:
        interval = max(0.05, min(30.0, self._watchdog.total_seconds() / 4))
        while True:
            await asyncio.sleep(interval)
            if self.silent_for() is not None and self.state is StreamState.CONNECTED:
                minutes = self._watchdog.total_seconds() / 60
                self._on_state(
                    StreamState.SILENT, f"connected but no data events for {minutes:g} min"
                )

    def silent_for(self) -> dt.timedelta | None:
        """How long the connected stream has been without data events, past the watchdog."""
        if not self.client.connected or self.connected_at is None:
            return None
        last = max(filter(None, (self.processor.last_event_at, self.connected_at)))
        quiet = utcnow() - last
        return quiet if quiet >= self._watchdog else None

    async def check(self) -> CheckResult:
        """The stream's health: ok, or degraded with the reason (silent, reconnecting …)."""
        if self.state is StreamState.SILENT or self.silent_for() is not None:
            return CheckResult(Status.DEGRADED, f"silent: {self.detail or 'no data events'}")
        if self.state is StreamState.CONNECTED:
            return CheckResult(Status.OK, f"connected; last timepoint {self.processor.position}")
        return CheckResult(Status.DEGRADED, f"{self.state.value}: {self.detail or ''}".strip())
