"""LEADPIPE_BACKFILL_HOURS: outside them nothing low-priority is queued and jobs report paused."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from leadpipe_contracts.gateway import GatewayRequest, Priority
from leadpipe_contracts.jobs import JobProgress, JobState
from leadpipe_db import Database
from leadpipe_runtime import OutboxWriter
from officer_fetcher import backfill
from officer_fetcher.settings import Settings

pytestmark = pytest.mark.integration

MONDAY_NOON = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
MONDAY_EVENING = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)  # GMT
SETTINGS = Settings(backfill_hours="Mon-Fri 18:00-24:00 Europe/London", low_lane_size=10)


class RecordingOutbox(OutboxWriter):
    """Records what would be published after commit."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    async def add(self, connection: asyncpg.Connection, event: Any, **_: Any) -> None:
        self.events.append(event)

    def take(self) -> tuple[list[GatewayRequest], list[JobProgress]]:
        """The requests and progress reports recorded since the last call."""
        events, self.events = self.events, []
        return (
            [event for event in events if isinstance(event, GatewayRequest)],
            [event for event in events if isinstance(event, JobProgress)],
        )


@pytest.fixture
async def db(database_url: str, namespace: str) -> AsyncIterator[Database]:
    database = Database(database_url, f"{namespace}_officer_fetcher")
    await database.open(timeout=10)
    await database.migrate(["officer_fetcher.migrations"])
    try:
        yield database
    finally:
        await database.close()


async def test_backfill_waits_for_backfill_hours_then_resumes_by_itself(db: Database) -> None:
    async with db.transaction() as connection:
        for number, state in (("00000001", "idle"), ("00000002", "idle"), ("00000003", "wanted")):
            await connection.execute(
                "INSERT INTO companies (company_number, in_strike_off, source, transition_at,"
                " fetch_state, wanted_at) VALUES ($1, true, 'bulk', $2, $3, $4)",
                number,
                MONDAY_NOON,
                state,
                MONDAY_NOON if state == "wanted" else None,
            )
        job_id = await backfill.create_job(
            connection,
            order=backfill.Order.NEWEST,
            limit=None,
            cutoff=None,
            window=10,
            now=MONDAY_NOON,
        )
    outbox = RecordingOutbox()

    # Closed: neither the wanted company nor the job's items are requested.
    await backfill.advance(db, outbox, SETTINGS, MONDAY_NOON)
    requests, (report,) = outbox.take()
    assert requests == []
    assert report.state is JobState.PAUSED
    assert report.message == "outside backfill hours until 2026-11-23 18:00 GMT"
    async with db.transaction() as connection:
        requested = await connection.fetchval(
            "SELECT count(*) FROM companies WHERE fetch_state = 'requested'"
        )
        queued = await connection.fetchval(
            "SELECT count(*) FROM backfill_items WHERE queued_at IS NOT NULL"
        )
        stored = await connection.fetchval(
            "SELECT state FROM backfill_jobs WHERE job_id = $1", job_id
        )
    assert (requested, queued, stored) == (0, 0, str(JobState.RUNNING))
    # Still closed a little later: nothing queued, no repeated report.
    await backfill.advance(db, outbox, SETTINGS, MONDAY_EVENING - dt.timedelta(seconds=1))
    assert outbox.events == []

    # Open: everything is requested at low priority and the job reports running again.
    await backfill.advance(db, outbox, SETTINGS, MONDAY_EVENING)
    requests, progress = outbox.take()
    assert sorted(str(request.company_number) for request in requests) == [
        "00000001",
        "00000002",
        "00000003",
    ]
    assert {request.priority for request in requests} == {Priority.LOW}
    assert [event.state for event in progress] == [JobState.RUNNING]


def test_backfill_hours_setting_is_validated() -> None:
    assert Settings().backfill_hours == ""
    assert backfill.held_message(Settings(), MONDAY_NOON) is None
    with pytest.raises(ValueError, match="LEADPIPE_BACKFILL_HOURS: unknown time zone"):
        Settings(backfill_hours="Mon-Fri 18:00-24:00 Europe/Lndon")
