"""Low-priority fetching: the low lane, backfill jobs and their progress.

Low-priority officer requests are never poured into the gateway's queue all at once. At most
``low_lane_size`` are outstanding; the scheduler tops the lane up as answers arrive. Two kinds of
low work share the lane:

- companies *wanted* by a bulk-sourced StrikeOffEntered, oldest first;
- the items of a running backfill job, in the job's order.

A backfill job fixes its companies (strike-off companies without officers, in ``newest`` or
``score`` order, within the cutoff and limit) when it is created, and records per item when it was
queued and when it was answered. Queuing an item and writing its request to the outbox happen in
one transaction, and a company with a request outstanding is never requested again, so a
backfill interrupted anywhere (the command, the service, the database) resumes without losing or
repeating a request.

``LEADPIPE_BACKFILL_HOURS`` limits when low-priority work is queued. Outside those hours the
scheduler queues no new low-priority request (neither wanted companies nor backfill items);
requests already queued are still answered and recorded, and stream-triggered requests, which
never pass through the low lane, are not held back. A running job then reports itself ``paused``
with "outside backfill hours until …" (its stored state stays ``running``, so an operator's
pause is never confused with the schedule's) and carries on by itself at opening time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import uuid

import asyncpg

from leadpipe_contracts import derive_id
from leadpipe_contracts.gateway import Priority
from leadpipe_contracts.jobs import JobAction, JobProgress, JobState
from leadpipe_db import Database
from leadpipe_runtime import BusinessHours, OutboxWriter
from officer_fetcher import domain
from officer_fetcher.adapters import repository
from officer_fetcher.settings import Settings

JOB_TYPE = "backfill-officers"
SERVICE = "officer-fetcher"
RATE_WINDOW = dt.timedelta(minutes=5)
_LOCK = 0x0FF1CE  # advisory lock serialising scheduler steps across replicas


class Order(enum.StrEnum):
    """Order in which a backfill queues companies."""

    NEWEST = "newest"
    SCORE = "score"


_ORDER_SQL = {
    Order.NEWEST: "entered_on DESC NULLS LAST, entered_at DESC NULLS LAST, company_number",
    Order.SCORE: (
        "lead_score DESC, entered_on DESC NULLS LAST, entered_at DESC NULLS LAST, company_number"
    ),
}
_UNFINISHED = (JobState.QUEUED, JobState.RUNNING, JobState.PAUSED)


@dataclasses.dataclass(frozen=True)
class Progress:
    """Where a backfill job stands.

    Attributes:
        queued: Requested and not answered yet.
        rate_per_second: Answers per second over the last five minutes: the gateway's actual
            pace for this job.
    """

    job_id: str
    state: JobState
    total: int
    done: int
    queued: int
    failed: int
    rate_per_second: float | None
    eta_seconds: float | None

    @property
    def remaining(self) -> int:
        """Items not answered yet (queued or not)."""
        return self.total - self.done


async def unfinished_job(connection: asyncpg.Connection) -> asyncpg.Record | None:
    """The newest backfill job that is running, paused or queued."""
    row: asyncpg.Record | None = await connection.fetchrow(
        "SELECT * FROM backfill_jobs WHERE state = ANY($1::text[])"
        " ORDER BY created_at DESC LIMIT 1",
        [str(state) for state in _UNFINISHED],
    )
    return row


async def create_job(
    connection: asyncpg.Connection,
    *,
    order: Order,
    limit: int | None,
    cutoff: int | None,
    window: int,
    now: dt.datetime,
) -> str:
    """Create a running backfill job over every strike-off company without officers.

    Args:
        order: ``newest`` (latest strike-off entries first) or ``score`` (see
            ``domain.lead_score``).
        limit: Queue at most this many companies.
        cutoff: Consider only the first ``cutoff`` strike-off companies in this order, whether
            or not they have officers already (a deployment that covers a fixed first N).
        window: Most requests of this job outstanding at once.

    Returns:
        The job id.
    """
    job_id = uuid.uuid4().hex
    order_sql = _ORDER_SQL[order]
    await connection.execute(
        "INSERT INTO backfill_jobs (job_id, state, order_by, limit_count, cutoff, window_size,"
        " total, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)",
        job_id,
        str(JobState.RUNNING),
        str(order),
        limit,
        cutoff,
        window,
        now,
    )
    # The order is one of two fixed SQL fragments above, never user text.
    await connection.execute(
        f"""
        INSERT INTO backfill_items (job_id, position, company_number)
        SELECT $1, row_number() OVER (ORDER BY rank), company_number FROM (
            SELECT company_number, rank FROM (
                SELECT company_number, officers_fetched_at, fetch_state,
                       row_number() OVER (ORDER BY {order_sql}) AS rank
                FROM companies WHERE in_strike_off
            ) ranked
            WHERE ($2::integer IS NULL OR rank <= $2) AND officers_fetched_at IS NULL
            ORDER BY rank LIMIT $3
        ) chosen
        """,  # noqa: S608
        job_id,
        cutoff,
        limit,
    )
    await connection.execute(
        "UPDATE backfill_jobs SET total = (SELECT count(*) FROM backfill_items WHERE job_id = $1)"
        " WHERE job_id = $1",
        job_id,
    )
    return job_id


async def apply_command(
    connection: asyncpg.Connection, job_id: str, action: JobAction, now: dt.datetime
) -> bool:
    """Pause, resume or cancel a job; returns whether its state changed."""
    allowed = {
        JobAction.PAUSE: ((JobState.RUNNING, JobState.QUEUED), JobState.PAUSED),
        JobAction.RESUME: ((JobState.PAUSED,), JobState.RUNNING),
        JobAction.CANCEL: (_UNFINISHED, JobState.CANCELLED),
    }
    sources, target = allowed[action]
    result: str = await connection.execute(
        "UPDATE backfill_jobs SET state = $2, updated_at = $3"
        " WHERE job_id = $1 AND state = ANY($4::text[])",
        job_id,
        str(target),
        now,
        [str(state) for state in sources],
    )
    return result.split()[-1] != "0"


async def progress(connection: asyncpg.Connection, job_id: str, now: dt.datetime) -> Progress:
    """The job's counts, recent rate and ETA.

    Raises:
        KeyError: No such job.
    """
    job = await connection.fetchrow("SELECT * FROM backfill_jobs WHERE job_id = $1", job_id)
    if job is None:
        raise KeyError(job_id)
    counts = await connection.fetchrow(
        """
        SELECT count(*) FILTER (WHERE done_at IS NOT NULL) AS done,
               count(*) FILTER (WHERE queued_at IS NOT NULL AND done_at IS NULL) AS queued,
               count(*) FILTER (WHERE outcome = 'failed') AS failed,
               count(*) FILTER (WHERE done_at > $2) AS recent,
               min(done_at) FILTER (WHERE done_at > $2) AS recent_since
        FROM backfill_items WHERE job_id = $1
        """,
        job_id,
        now - RATE_WINDOW,
    )
    rate: float | None = None
    if counts["recent"] >= 2:
        span = max((now - counts["recent_since"]).total_seconds(), 1.0)
        rate = counts["recent"] / span
    remaining = job["total"] - counts["done"]
    return Progress(
        job_id=job_id,
        state=JobState(job["state"]),
        total=job["total"],
        done=counts["done"],
        queued=counts["queued"],
        failed=counts["failed"],
        rate_per_second=rate,
        eta_seconds=domain.eta_seconds(remaining, rate),
    )


async def report(
    connection: asyncpg.Connection,
    outbox: OutboxWriter,
    job_id: str,
    now: dt.datetime,
    *,
    force: bool = False,
    interval: float = 5.0,
    held: str | None = None,
) -> Progress:
    """Publish a JobProgress on a state change, when forced, or every ``interval`` s of work.

    Args:
        held: Why a running job is not queuing now (outside backfill hours): it is reported as
            ``paused`` with this message.
    """
    current = await progress(connection, job_id, now)
    message = f"{current.done} of {current.total} officer lists fetched"
    if held is not None and current.state is JobState.RUNNING:
        current = dataclasses.replace(current, state=JobState.PAUSED)
        message = held
    job = await connection.fetchrow(
        "SELECT sequence, reported_at, reported_done, reported_state FROM backfill_jobs"
        " WHERE job_id = $1 FOR UPDATE",
        job_id,
    )
    due = (
        force
        or job["reported_state"] != str(current.state)
        or (
            job["reported_done"] != current.done
            and (
                job["reported_at"] is None or (now - job["reported_at"]).total_seconds() >= interval
            )
        )
    )
    if not due:
        return current
    sequence = job["sequence"] + 1
    await outbox.add(
        connection,
        JobProgress(
            event_id=derive_id("job.progress", job_id, sequence),
            occurred_at=now,
            job_id=job_id,
            job_type=JOB_TYPE,
            service=SERVICE,
            state=current.state,
            sequence=sequence,
            done=current.done,
            total=current.total,
            queued=current.queued,
            failed=current.failed,
            rate_per_second=current.rate_per_second,
            eta_seconds=current.eta_seconds,
            message=message,
        ),
    )
    await connection.execute(
        "UPDATE backfill_jobs SET sequence = $2, reported_at = $3, reported_done = $4,"
        " reported_state = $5 WHERE job_id = $1",
        job_id,
        sequence,
        now,
        current.done,
        str(current.state),
    )
    return current


async def _outstanding_low(connection: asyncpg.Connection) -> int:
    count: int = await connection.fetchval(
        "SELECT count(*) FROM companies WHERE fetch_state = 'requested' AND request_priority = $1",
        str(Priority.LOW),
    )
    return count


async def _requeue_lost(
    connection: asyncpg.Connection, settings: Settings, now: dt.datetime
) -> None:
    """Requests unanswered for too long are considered lost and become wanted again."""
    await connection.execute(
        """
        UPDATE companies SET
            fetch_state = CASE WHEN in_strike_off THEN 'wanted' ELSE 'idle' END,
            wanted_at = CASE WHEN in_strike_off THEN $1::timestamptz END,
            request_id = NULL, request_priority = NULL, requested_at = NULL
        WHERE fetch_state = 'requested' AND requested_at < $2
        """,
        now,
        now - dt.timedelta(seconds=settings.request_timeout_seconds),
    )


async def _feed_lane(
    connection: asyncpg.Connection, outbox: OutboxWriter, free: int, now: dt.datetime
) -> int:
    """Request wanted companies, oldest first, up to ``free``; returns how many."""
    if free <= 0:
        return 0
    rows = await connection.fetch(
        "SELECT * FROM companies WHERE fetch_state = 'wanted' AND in_strike_off"
        " ORDER BY wanted_at, company_number LIMIT $1 FOR UPDATE SKIP LOCKED",
        free,
    )
    for company in rows:
        await repository.request_officers(connection, outbox, company, Priority.LOW, now)
    return len(rows)


async def _advance_job(
    connection: asyncpg.Connection,
    outbox: OutboxWriter,
    job: asyncpg.Record,
    lane_free: int,
    now: dt.datetime,
) -> int:
    """Queue the job's next items within its window and the lane; returns requests made."""
    in_flight: int = await connection.fetchval(
        "SELECT count(*) FROM backfill_items"
        " WHERE job_id = $1 AND queued_at IS NOT NULL AND done_at IS NULL",
        job["job_id"],
    )
    free = min(job["window_size"] - in_flight, lane_free)
    made = 0
    while free > 0:
        items = await connection.fetch(
            "SELECT position, company_number FROM backfill_items"
            " WHERE job_id = $1 AND queued_at IS NULL ORDER BY position LIMIT $2",
            job["job_id"],
            free,
        )
        if not items:
            break
        for item in items:
            company = await repository.lock_company(connection, item["company_number"])
            outcome: str | None = None
            if company is None or not company["in_strike_off"]:
                outcome = "left"
            elif company["officers_fetched_at"] is not None:
                outcome = "already_fetched"
            elif company["fetch_state"] != "requested":
                await repository.request_officers(connection, outbox, company, Priority.LOW, now)
                made += 1
                free -= 1
            # A company already requested (by the lane or the stream) is waited for, not asked
            # for twice: its answer finishes the item.
            await connection.execute(
                "UPDATE backfill_items SET queued_at = $3, done_at = $4, outcome = $5"
                " WHERE job_id = $1 AND position = $2",
                job["job_id"],
                item["position"],
                now,
                now if outcome else None,
                outcome,
            )
    return made


@functools.lru_cache(maxsize=8)
def backfill_hours(spec: str) -> BusinessHours:
    """The parsed ``LEADPIPE_BACKFILL_HOURS`` (validated with the settings)."""
    return BusinessHours.parse(spec)


def held_message(settings: Settings, now: dt.datetime) -> str | None:
    """Why low-priority work is not queued at ``now``, or None within backfill hours."""
    hours = backfill_hours(settings.backfill_hours)
    if hours.is_open(now):
        return None
    opens = hours.next_change(now)
    assert opens is not None  # a schedule that is ever closed also opens
    return f"outside backfill hours until {hours.local(opens)}"


async def advance(db: Database, outbox: OutboxWriter, settings: Settings, now: dt.datetime) -> None:
    """One scheduler step: top up the low lane, advance running jobs, report their progress.

    Outside backfill hours nothing new is queued; answers still complete items and jobs.
    """
    held = held_message(settings, now)
    async with db.transaction() as connection:
        if not await connection.fetchval("SELECT pg_try_advisory_xact_lock($1)", _LOCK):
            return  # another replica is stepping
        await _requeue_lost(connection, settings, now)
        lane_free = settings.low_lane_size - await _outstanding_low(connection)
        if held is None:
            lane_free -= await _feed_lane(connection, outbox, lane_free, now)
        jobs = await connection.fetch(
            "SELECT * FROM backfill_jobs WHERE state = $1 ORDER BY created_at",
            str(JobState.RUNNING),
        )
        for job in jobs:
            if held is None:
                lane_free -= await _advance_job(connection, outbox, job, lane_free, now)
            remaining: int = await connection.fetchval(
                "SELECT count(*) FROM backfill_items WHERE job_id = $1 AND done_at IS NULL",
                job["job_id"],
            )
            if remaining == 0:
                await connection.execute(
                    "UPDATE backfill_jobs SET state = $2, updated_at = $3 WHERE job_id = $1",
                    job["job_id"],
                    str(JobState.COMPLETED),
                    now,
                )
        for job in jobs:
            await report(
                connection,
                outbox,
                job["job_id"],
                now,
                interval=settings.progress_interval_seconds,
                held=held,
            )
