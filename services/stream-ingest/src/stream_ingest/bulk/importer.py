"""Importing a snapshot: COPY into staging, set-based transitions, resumable publishing.

Phases, recorded in ``bulk_imports.phase`` so that a re-run resumes where the last one stopped:

1. ``loading`` — each file is parsed and its matching rows COPied into ``bulk_staging``
   (bad rows into ``bulk_quarantine``); a finished file is recorded and not read again.
2. ``applied`` — one transaction compares the staged rows with the stored states (older
   observations never overwrite newer ones), writes the events the snapshot causes into
   ``bulk_events``, updates the states and drops the staging rows.
3. ``completed`` — the events are published in id order in JetStream atomic batches
   (deterministic ids; one commit per batch rather than one per event, which is what bounds a
   broker that fsyncs every write), ``bulk_imports.published_through`` advancing as each round
   is acknowledged, and the summary is stored.

Importing the same snapshot again recomputes everything, finds nothing new and emits nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import json
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

import asyncpg
import msgspec
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Publisher
from leadpipe_contracts import Event, derive_id, utcnow
from leadpipe_contracts.companies import (
    CompanyObserved,
    CompanyProfile,
    LeftReason,
    Source,
    StrikeOffEntered,
    StrikeOffKind,
    StrikeOffLeft,
)
from leadpipe_contracts.jobs import JobProgress, JobState
from leadpipe_db import Database
from stream_ingest.adapters.publishing import BatchPublisher, Message, encode_events
from stream_ingest.bulk.csvfile import STATUS_COLUMN, CsvRows
from stream_ingest.bulk.source import Snapshot, open_binary
from stream_ingest.profiles import profile_from_row
from stream_ingest.statuses import STRIKE_OFF_DETAIL, STRIKE_OFF_TEXT

log = logging.getLogger(__name__)

_COPY_BATCH = 20_000
_YIELD_EVERY = 1_000
_PUBLISH_BATCH = 5_000  # events read, encoded and published per round (atomic batches of 1,000)
# Every strike-off row holds this text (the filter compares the trimmed status with it), so
# rows without it are only validated and counted.
_STRIKE_OFF_BYTES = STRIKE_OFF_TEXT.encode()
_STAGING_COLUMNS = (
    "snapshot",
    "file",
    "line",
    "company_number",
    "company_name",
    "raw_status",
    "status",
    "status_detail",
    "profile",
    "profile_hash",
)
_SKIP_RECORDED = " ON CONFLICT DO NOTHING"
_PROFILE_ENCODER = msgspec.json.Encoder()
_PROFILE_DECODER = msgspec.json.Decoder(CompanyProfile)

Progress = Callable[[int, int, int], None]  # (bytes done, bytes total, rows read)


@dataclasses.dataclass
class ImportSummary:
    """The one-line JSON summary of an import."""

    rows_read: int = 0
    matched: int = 0
    entered: int = 0
    left: int = 0
    unchanged: int = 0
    rejected: int = 0
    seconds: float = 0.0

    def to_json(self) -> str:
        """``{"rows_read", "matched", "entered", "left", "unchanged", "rejected", "seconds"}``."""
        data = dataclasses.asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return json.dumps(data)


def _is_strike_off(row: list[str]) -> bool:
    status = row[STATUS_COLUMN]
    return status == STRIKE_OFF_TEXT or (status != "Active" and status.strip() == STRIKE_OFF_TEXT)


class BulkImporter:
    """Imports snapshots into the stream-ingest schema and publishes what they change."""

    def __init__(
        self,
        db: Database,
        client: NatsClient,
        publisher: Publisher,
        *,
        progress: Progress | None = None,
        service: str = "stream-ingest",
    ) -> None:
        self._db = db
        self._batches = BatchPublisher(client, publisher)
        self._publisher = publisher
        self._progress = progress
        self._service = service
        self._job_sequence = 0

    async def run(self, snapshot: Snapshot, *, all_rows: bool = False) -> ImportSummary:
        """Import ``snapshot`` (resuming an interrupted import of it) and return the summary."""
        started = time.perf_counter()
        phase = await self._begin(snapshot, all_rows)
        await self._report(snapshot, JobState.RUNNING, 0, f"phase {phase}")
        if phase == "loading":
            await self._timed("loaded", self._load(snapshot, all_rows))
            await self._timed("applied", self._apply(snapshot))
        await self._timed("published", self._publish(snapshot))
        summary = await self._finish(snapshot, time.perf_counter() - started)
        await self._report(snapshot, JobState.COMPLETED, summary.rows_read, summary.to_json())
        return summary

    # -- phases ----------------------------------------------------------------------------

    @staticmethod
    async def _timed(done: str, phase: Coroutine[Any, Any, None]) -> None:
        started = time.perf_counter()
        await phase
        log.info("snapshot %s", done, extra={"seconds": round(time.perf_counter() - started, 1)})

    async def _begin(self, snapshot: Snapshot, all_rows: bool) -> str:
        async with self._db.transaction() as connection:
            row = await connection.fetchrow(
                "SELECT phase, all_rows FROM bulk_imports WHERE snapshot = $1 FOR UPDATE",
                snapshot.name,
            )
            if row is None or row["phase"] == "completed" or row["all_rows"] != all_rows:
                # A fresh import, or a deliberate re-run: recompute from the files.
                await connection.execute(
                    "DELETE FROM bulk_import_files WHERE snapshot = $1", snapshot.name
                )
                await connection.execute(
                    "DELETE FROM bulk_quarantine WHERE snapshot = $1", snapshot.name
                )
                await connection.execute(
                    "DELETE FROM bulk_staging WHERE snapshot = $1", snapshot.name
                )
                # A new snapshot's events will all come after every stored one: its marker
                # starts there, so publishing never scans older snapshots' events. A re-run
                # keeps its marker (what it published then stays published).
                await connection.execute(
                    "INSERT INTO bulk_imports (snapshot, as_of, all_rows, published_through)"
                    " VALUES ($1, $2, $3, (SELECT coalesce(max(id), 0) FROM bulk_events))"
                    " ON CONFLICT (snapshot) DO UPDATE SET phase = 'loading', as_of = $2,"
                    ' all_rows = $3, rows_read = 0, matched = 0, entered = 0, "left" = 0,'
                    " unchanged = 0, rejected = 0, started_at = now(), finished_at = NULL",
                    snapshot.name,
                    snapshot.as_of,
                    all_rows,
                )
                return "loading"
            phase: str = row["phase"]
            if phase == "loading":
                # Resume: files not recorded as finished are loaded again from the start.
                await connection.execute(
                    "DELETE FROM bulk_staging s WHERE snapshot = $1 AND NOT EXISTS (SELECT 1"
                    " FROM bulk_import_files f WHERE f.snapshot = s.snapshot AND f.file = s.file)",
                    snapshot.name,
                )
                await connection.execute(
                    "DELETE FROM bulk_quarantine q WHERE snapshot = $1 AND NOT EXISTS (SELECT 1"
                    " FROM bulk_import_files f WHERE f.snapshot = q.snapshot AND f.file = q.file)",
                    snapshot.name,
                )
            return phase

    async def _load(self, snapshot: Snapshot, all_rows: bool) -> None:
        async with self._db.pool.acquire() as connection:
            done = {
                row["file"]
                for row in await connection.fetch(
                    "SELECT file FROM bulk_import_files WHERE snapshot = $1", snapshot.name
                )
            }
        for path in snapshot.files:
            if path.name in done:
                log.info("file already loaded, skipped", extra={"file": path.name})
                continue
            await self._load_file(snapshot, path.name, path, all_rows)

    async def _load_file(self, snapshot: Snapshot, name: str, path: object, all_rows: bool) -> None:
        as_of = snapshot.as_of
        encode = _PROFILE_ENCODER.encode
        with open_binary(path) as (binary, position, size):  # type: ignore[arg-type]
            if all_rows:
                rows = CsvRows(binary)
            else:
                rows = CsvRows(binary, keep=_is_strike_off, needle=_STRIKE_OFF_BYTES)
            batch: list[tuple[object, ...]] = []
            async with self._db.pool.acquire() as connection, _Copier(self, connection) as copier:
                last_report = 0
                for line, row in rows:
                    profile = profile_from_row(row, as_of)
                    data = encode(profile)
                    batch.append(
                        (
                            snapshot.name,
                            name,
                            line,
                            profile.company_number,
                            profile.company_name,
                            profile.raw_status,
                            profile.status,
                            profile.status_detail,
                            data,
                            hashlib.blake2b(data, digest_size=16).hexdigest(),
                        )
                    )
                    if len(batch) >= _COPY_BATCH:
                        await copier.copy(batch)
                        batch = []
                    elif len(batch) % _YIELD_EVERY == 0:
                        await asyncio.sleep(0)  # lets the COPY in flight go on writing
                    if self._progress is not None and rows.rows_read - last_report >= 50_000:
                        last_report = rows.rows_read
                        self._progress(position(), size, rows.rows_read)
                if batch:
                    await copier.copy(batch)
                await copier.drain()
                if self._progress is not None:
                    self._progress(position(), size, rows.rows_read)
                async with connection.transaction():
                    if rows.rejected:
                        await connection.copy_records_to_table(
                            "bulk_quarantine",
                            records=[
                                (snapshot.name, name, r.line, r.reason, r.raw)
                                for r in rows.rejected
                            ],
                            columns=("snapshot", "file", "line", "reason", "raw"),
                        )
                    await connection.execute(
                        "INSERT INTO bulk_import_files (snapshot, file, rows_read, matched,"
                        " rejected, replaced) VALUES ($1, $2, $3, $4, $5, $6)",
                        snapshot.name,
                        name,
                        rows.rows_read,
                        rows.matched,
                        len(rows.rejected),
                        rows.replaced_rows,
                    )
        for rejected in rows.rejected[:20]:
            log.warning(
                "row quarantined",
                extra={"file": name, "line": rejected.line, "reason": rejected.reason},
            )
        if rows.replaced_rows:
            log.warning(
                "rows with invalid UTF-8 imported with replacement characters",
                extra={"file": name, "rows": rows.replaced_rows},
            )
        await self._report(snapshot, JobState.RUNNING, rows.rows_read, f"loaded {name}")

    async def _copy(self, connection: asyncpg.Connection, batch: list[tuple[object, ...]]) -> None:
        await connection.copy_records_to_table(
            "bulk_staging", records=batch, columns=_STAGING_COLUMNS
        )

    async def _apply(self, snapshot: Snapshot) -> None:
        """Compare the staged rows with the stored states and record the events (one tx)."""
        at = snapshot.observed_at
        name = snapshot.name
        async with self._db.transaction() as connection:
            # The snapshot's rows are sorted and joined in memory, not in temporary files.
            await connection.execute("SET LOCAL work_mem = '64MB'")
            # The profiles stay in bulk_staging (fetched by row address for the observed
            # events): without them a full snapshot's rows fit that memory.
            await connection.execute(
                "CREATE TEMP TABLE snap ON COMMIT DROP AS"
                " SELECT DISTINCT ON (company_number) company_number, company_name, raw_status,"
                " status, status_detail, profile_hash, ctid AS staged,"
                " (status = 'active' AND status_detail = $2) AS strike_off"
                " FROM bulk_staging WHERE snapshot = $1 ORDER BY company_number, line DESC",
                name,
                STRIKE_OFF_DETAIL,
            )
            await connection.execute("CREATE UNIQUE INDEX ON snap (company_number)")
            await connection.execute("ANALYZE snap")
            unchanged = await connection.fetchval(
                "SELECT count(*) FROM snap s JOIN companies c USING (company_number)"
                " WHERE c.observed_at > $1 OR (c.profile_hash = s.profile_hash"
                " AND c.strike_off = s.strike_off)",
                at,
            )
            # A first apply of this snapshot cannot conflict with stored events: it skips the
            # cost of speculative insertion, which is most of inserting ~800 k event rows.
            recorded = await connection.fetchval(
                "SELECT EXISTS (SELECT 1 FROM bulk_events WHERE snapshot = $1)", name
            )
            record = functools.partial(_record_events, connection, again=recorded)
            # CompanyObserved for new companies and changed profiles (newer-or-equal only).
            await record(
                "INSERT INTO bulk_events (snapshot, company_number, change, company_name, profile)"
                " SELECT $1, s.company_number, 'observed', s.company_name, b.profile"
                " FROM snap s JOIN bulk_staging b ON b.ctid = s.staged"
                " LEFT JOIN companies c ON c.company_number = s.company_number"
                " WHERE c.company_number IS NULL OR (c.observed_at <= $2"
                " AND c.profile_hash IS DISTINCT FROM s.profile_hash)"
                " ORDER BY s.company_number",
                name,
                at,
            )
            entered = await record(
                "INSERT INTO bulk_events (snapshot, company_number, change, company_name, kind)"
                " SELECT $1, s.company_number, 'entered', s.company_name,"
                " coalesce(g.kind, 'unknown')"
                " FROM snap s LEFT JOIN companies c USING (company_number)"
                " LEFT JOIN signals g USING (company_number)"
                " WHERE s.strike_off AND (c.company_number IS NULL"
                " OR (c.observed_at <= $2 AND NOT c.strike_off))"
                " ORDER BY s.company_number",
                name,
                at,
            )
            changed = await record(
                "INSERT INTO bulk_events (snapshot, company_number, change, company_name, reason)"
                " SELECT $1, s.company_number, 'left', s.company_name,"
                " CASE WHEN s.status IN ('dissolved', 'removed') THEN $3 ELSE $4 END"
                " FROM snap s JOIN companies c USING (company_number)"
                " WHERE NOT s.strike_off AND c.strike_off AND c.observed_at <= $2"
                " ORDER BY s.company_number",
                name,
                at,
                LeftReason.DISSOLVED.value,
                LeftReason.STATUS_CHANGED.value,
            )
            # Recorded as strike-off, older than the snapshot, and not among its rows: left.
            absent = await record(
                "INSERT INTO bulk_events (snapshot, company_number, change, company_name, reason)"
                " SELECT $1, c.company_number, 'left', c.company_name, $3 FROM companies c"
                " WHERE c.strike_off AND c.observed_at < $2"
                " AND NOT EXISTS (SELECT 1 FROM snap s WHERE s.company_number = c.company_number)"
                " ORDER BY c.company_number",
                name,
                at,
                LeftReason.ABSENT_FROM_SNAPSHOT.value,
            )
            await connection.execute(
                "UPDATE companies c SET strike_off = false, strike_off_kind = NULL,"
                " status_detail = NULL, observed_at = $2, source = 'bulk', source_ref = $1,"
                " updated_at = now()"
                " WHERE c.strike_off AND c.observed_at < $2"
                " AND NOT EXISTS (SELECT 1 FROM snap s WHERE s.company_number = c.company_number)",
                name,
                at,
            )
            await connection.execute(
                "INSERT INTO companies (company_number, company_name, status, status_detail,"
                " raw_status, strike_off, strike_off_kind, observed_at, source, source_ref,"
                " profile_hash)"
                " SELECT s.company_number, s.company_name, s.status, s.status_detail,"
                " s.raw_status, s.strike_off,"
                " CASE WHEN s.strike_off THEN coalesce(g.kind, 'unknown') END,"
                " $2, 'bulk', $1, s.profile_hash"
                " FROM snap s LEFT JOIN signals g USING (company_number)"
                " ON CONFLICT (company_number) DO UPDATE SET"
                " company_name = excluded.company_name, status = excluded.status,"
                " status_detail = excluded.status_detail, raw_status = excluded.raw_status,"
                " strike_off = excluded.strike_off,"
                " strike_off_kind = CASE WHEN excluded.strike_off AND companies.strike_off"
                " THEN coalesce(companies.strike_off_kind, excluded.strike_off_kind)"
                " ELSE excluded.strike_off_kind END,"
                " observed_at = excluded.observed_at, source = excluded.source,"
                " source_ref = excluded.source_ref, profile_hash = excluded.profile_hash,"
                " updated_at = now()"
                " WHERE companies.observed_at <= excluded.observed_at"
                " AND (companies.profile_hash IS DISTINCT FROM excluded.profile_hash"
                " OR companies.strike_off IS DISTINCT FROM excluded.strike_off"
                " OR companies.observed_at < excluded.observed_at)",
                name,
                at,
            )
            totals = await connection.fetchrow(
                "SELECT coalesce(sum(rows_read), 0) AS rows_read,"
                " coalesce(sum(matched), 0) AS matched, coalesce(sum(rejected), 0) AS rejected"
                " FROM bulk_import_files WHERE snapshot = $1",
                name,
            )
            await connection.execute("DELETE FROM bulk_staging WHERE snapshot = $1", name)
            await connection.execute(
                "UPDATE bulk_imports SET phase = 'applied', rows_read = $2, matched = $3,"
                ' rejected = $4, entered = $5, "left" = $6, unchanged = $7'
                " WHERE snapshot = $1",
                name,
                totals["rows_read"],
                totals["matched"],
                totals["rejected"],
                _inserted(entered),
                _inserted(changed) + _inserted(absent),
                unchanged,
            )

    async def _publish(self, snapshot: Snapshot) -> None:
        """Publish the snapshot's events after its marker in id order, advancing the marker."""
        at = snapshot.observed_at
        async with self._db.pool.acquire() as connection:
            last = await connection.fetchval(
                "SELECT published_through FROM bulk_imports WHERE snapshot = $1", snapshot.name
            )
        sending: asyncio.Task[None] | None = None
        try:
            while True:
                async with self._db.pool.acquire() as connection:
                    rows = await connection.fetch(
                        "SELECT id, company_number, change, reason, company_name, kind, profile"
                        " FROM bulk_events WHERE snapshot = $1 AND id > $2"
                        " ORDER BY id LIMIT $3",
                        snapshot.name,
                        last,
                        _PUBLISH_BATCH,
                    )
                if not rows:
                    break
                last = rows[-1]["id"]
                # Encoded while the previous round is stored by the broker; sent after it.
                events = [self._event(snapshot, row, at) for row in rows]
                messages = encode_events(self._publisher, [(e, e.event_id) for e in events])
                if sending is not None:
                    await sending
                sending = asyncio.create_task(self._send(snapshot, messages, last))
            if sending is not None:
                await sending
        finally:
            if sending is not None and not sending.done():
                sending.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sending

    async def _send(self, snapshot: Snapshot, messages: list[Message], through: int) -> None:
        """Publish one round; once every message is acknowledged, move the marker past it
        (rounds are sent one after another, so everything before it is published too)."""
        await self._batches.publish(messages)
        async with self._db.pool.acquire() as connection:
            await connection.execute(
                "UPDATE bulk_imports SET published_through = $2 WHERE snapshot = $1",
                snapshot.name,
                through,
            )

    def _event(self, snapshot: Snapshot, row: asyncpg.Record, at: dt.datetime) -> Event:
        number, change = row["company_number"], row["change"]
        event_id = derive_id("bulk", snapshot.name, number, change)
        if change == "observed":
            return CompanyObserved(
                event_id=event_id,
                occurred_at=at,
                correlation_id=event_id,
                profile=_PROFILE_DECODER.decode(row["profile"]),
                source=Source.BULK,
                source_ref=snapshot.name,
                observed_at=at,
            )
        if change == "entered":
            return StrikeOffEntered(
                event_id=event_id,
                occurred_at=at,
                correlation_id=event_id,
                company_number=number,
                company_name=row["company_name"] or "",
                source=Source.BULK,
                signal="bulk",
                kind=StrikeOffKind(row["kind"] or "unknown"),
                entered_on=snapshot.as_of,
                observed_at=at,
            )
        return StrikeOffLeft(
            event_id=event_id,
            occurred_at=at,
            correlation_id=event_id,
            company_number=number,
            source=Source.BULK,
            reason=LeftReason(row["reason"]),
            observed_at=at,
        )

    async def _finish(self, snapshot: Snapshot, seconds: float) -> ImportSummary:
        async with self._db.transaction() as connection:
            row = await connection.fetchrow(
                "UPDATE bulk_imports SET phase = 'completed', finished_at = now()"
                ' WHERE snapshot = $1 RETURNING rows_read, matched, entered, "left",'
                " unchanged, rejected",
                snapshot.name,
            )
        assert row is not None
        return ImportSummary(
            rows_read=row["rows_read"],
            matched=row["matched"],
            entered=row["entered"],
            left=row["left"],
            unchanged=row["unchanged"],
            rejected=row["rejected"],
            seconds=seconds,
        )

    async def _report(self, snapshot: Snapshot, state: JobState, done: int, message: str) -> None:
        self._job_sequence += 1
        job_id = derive_id("bulk-import", snapshot.name)
        event = JobProgress(
            event_id=f"{job_id}:{self._job_sequence}:{time.time_ns()}",
            occurred_at=utcnow(),
            job_id=job_id,
            job_type="bulk_import",
            service=self._service,
            state=state,
            sequence=self._job_sequence,
            done=done,
            message=message,
        )
        await self._publisher.publish(event)


class _Copier:
    """COPYs batches into ``bulk_staging`` one at a time, in the background: the file is parsed
    while Postgres stores the previous batch."""

    def __init__(self, importer: BulkImporter, connection: asyncpg.Connection) -> None:
        self._importer = importer
        self._connection = connection
        self._running: asyncio.Task[None] | None = None

    async def __aenter__(self) -> _Copier:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        running, self._running = self._running, None
        if running is not None and not running.done():
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running

    async def copy(self, batch: list[tuple[object, ...]]) -> None:
        """Start copying ``batch`` once the previous batch is stored."""
        await self.drain()
        self._running = asyncio.create_task(self._importer._copy(self._connection, batch))
        await asyncio.sleep(0)  # let it start writing

    async def drain(self) -> None:
        """Wait for the batch in flight (raising its error, if any)."""
        running, self._running = self._running, None
        if running is not None:
            await running


async def _record_events(
    connection: asyncpg.Connection, sql: str, *args: object, again: bool
) -> str:
    """Run an ``INSERT INTO bulk_events ... SELECT``; when the snapshot has events stored
    already (a re-run), the ones it would repeat are skipped."""
    status: str = await connection.execute(sql + _SKIP_RECORDED if again else sql, *args)
    return status


def _inserted(status: str) -> int:
    """Rows an ``INSERT`` affected, from its command status (``INSERT 0 42``)."""
    return int(status.rsplit(" ", 1)[-1])


async def run_import(
    db: Database,
    client: NatsClient,
    publisher: Publisher,
    snapshot: Snapshot,
    *,
    all_rows: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import one snapshot (see ``BulkImporter``)."""
    importer = BulkImporter(db, client, publisher, progress=progress)
    return await importer.run(snapshot, all_rows=all_rows)
