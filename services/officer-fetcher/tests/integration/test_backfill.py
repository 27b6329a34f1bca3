"""Backfills: low priority, overtaken by the live stream, resumable without loss or repetition."""

from __future__ import annotations

import asyncio
from collections import Counter

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Publisher
from leadpipe_contracts import Decoder, utcnow
from leadpipe_contracts.companies import Source
from leadpipe_contracts.gateway import Priority
from leadpipe_contracts.jobs import JobAction, JobProgress, JobState
from leadpipe_db import Database
from leadpipe_simulators.companies_house import CompaniesHouseSimulator
from leadpipe_testing import poll_until
from officer_fetcher import backfill, cli

from .conftest import GatewayDouble, ServiceFactory, entered
from .test_fetching import stream_messages

pytestmark = pytest.mark.integration


async def _progress(database_url: str, namespace: str, job_id: str) -> backfill.Progress:
    db = Database(database_url, f"{namespace}_officer_fetcher")
    await db.open(timeout=10)
    try:
        async with db.transaction() as connection:
            return await backfill.progress(connection, job_id, utcnow())
    finally:
        await db.close()


async def _seed(
    publisher: Publisher, pg: asyncpg.Connection, namespace: str, numbers: list[str]
) -> None:
    """Bulk strike-off entries that (with bulk requests off) wait for a backfill."""
    for number in numbers:
        await publisher.publish(entered(number))

    async def recorded() -> bool:
        count = await pg.fetchval(f"SELECT count(*) FROM {namespace}_officer_fetcher.companies")
        return bool(count == len(numbers))

    await poll_until(recorded, timeout=20, message="strike-off entries recorded")


async def test_a_stream_company_overtakes_a_running_backfill(
    start_service: ServiceFactory,
    simulator: CompaniesHouseSimulator,
    gateway: GatewayDouble,
    publisher: Publisher,
    pg_connection: asyncpg.Connection,
    nats_url: str,
    database_url: str,
    namespace: str,
) -> None:
    numbers = list(simulator.population.iter_numbers())[:41]
    backlog, live = numbers[:40], numbers[40]
    gateway.pace = 0.05
    await start_service(request_bulk_entries=False)
    await _seed(publisher, pg_connection, namespace, backlog)

    job_id, resumed = await cli.start_backfill(
        database_url,
        nats_url,
        namespace,
        order=backfill.Order.NEWEST,
        limit=None,
        cutoff=None,
        window=40,
    )
    assert not resumed
    await poll_until(lambda: len(gateway.received) >= 5, timeout=20, message="backfill under way")
    served_before = len(gateway.received)
    await publisher.publish(entered(live, source=Source.STREAM))

    await poll_until(lambda: gateway.served(live), timeout=20, message="stream company served")
    position = gateway.received.index(gateway.served(live)[0])
    assert gateway.served(live)[0].priority is Priority.HIGH
    # Served next (or right after the request already in hand), ahead of the remaining backlog.
    assert position <= served_before + 2
    await poll_until(
        lambda: len([r for r in gateway.received if r.priority is Priority.LOW]) == 40,
        timeout=30,
        message="backfill finished",
    )
    lows_after = [r for r in gateway.received[position + 1 :] if r.priority is Priority.LOW]
    assert len(lows_after) >= 30
    # What the command shows while following the job, until it completes.
    final = await asyncio.wait_for(cli.follow(database_url, namespace, job_id, interval=0.2), 20)
    assert final.state is JobState.COMPLETED
    assert (final.done, final.remaining, final.queued) == (40, 0, 0)


async def _finished(database_url: str, namespace: str, job_id: str) -> backfill.Progress | None:
    current = await _progress(database_url, namespace, job_id)
    return current if current.state in (JobState.COMPLETED, JobState.CANCELLED) else None


async def test_an_interrupted_backfill_resumes_without_losing_or_repeating_requests(
    start_service: ServiceFactory,
    simulator: CompaniesHouseSimulator,
    gateway: GatewayDouble,
    publisher: Publisher,
    pg_connection: asyncpg.Connection,
    nats_client: NatsClient,
    nats_url: str,
    database_url: str,
    namespace: str,
) -> None:
    numbers = list(simulator.population.iter_numbers())[:40]
    gateway.pace = 0.03
    service = await start_service(request_bulk_entries=False)
    await _seed(publisher, pg_connection, namespace, numbers)
    job_id, _ = await cli.start_backfill(
        database_url,
        nats_url,
        namespace,
        order=backfill.Order.SCORE,
        limit=None,
        cutoff=None,
        window=5,
    )

    # Pause through a JobCommand: nothing more is requested once the in-flight answers are in.
    await poll_until(lambda: len(gateway.received) >= 8, timeout=20, message="some work done")
    await cli.send_command(nats_url, namespace, job_id, JobAction.PAUSE)

    async def paused_and_idle() -> backfill.Progress | None:
        current = await _progress(database_url, namespace, job_id)
        return current if current.state is JobState.PAUSED and current.queued == 0 else None

    paused = await poll_until(paused_and_idle, timeout=20, message="paused with nothing in flight")
    assert len(gateway.received) == paused.done
    assert 8 <= paused.done < 40

    # Resume by running the command again, then kill the service while requests are in flight.
    _, resumed = await cli.start_backfill(
        database_url,
        nats_url,
        namespace,
        order=backfill.Order.SCORE,
        limit=None,
        cutoff=None,
        window=5,
    )
    assert resumed

    async def in_flight_again() -> bool:
        current = await _progress(database_url, namespace, job_id)
        return (
            current.state is JobState.RUNNING and current.queued > 0 and current.done > paused.done
        )

    await poll_until(in_flight_again, timeout=20, message="running again with requests in flight")
    await service.stop()
    await start_service(request_bulk_entries=False)

    final = await poll_until(
        lambda: _finished(database_url, namespace, job_id), timeout=40, message="job completed"
    )
    assert final.state is JobState.COMPLETED
    assert final.done == 40
    # Every company requested exactly once across the pause, the restart and the resume.
    assert Counter(r.company_number for r in gateway.received) == Counter(numbers)
    assert all(r.priority is Priority.LOW for r in gateway.received)

    decoder: Decoder[JobProgress] = Decoder(JobProgress)
    reports = [
        decoder.decode(data)
        for data in await stream_messages(
            nats_client, namespace, "JOBS", "jobs.progress.officer-fetcher"
        )
    ]
    states = [report.state for report in reports]
    assert JobState.PAUSED in states
    assert states[-1] is JobState.COMPLETED
    assert [r.sequence for r in reports] == sorted(r.sequence for r in reports)
    assert reports[-1].done == reports[-1].total == 40
