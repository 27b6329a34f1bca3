"""Stream faults against the simulator: 416 gaps, silent streams, 429."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import msgspec
import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Publisher
from leadpipe_db import Database
from leadpipe_runtime import Secret, Service, Status
from leadpipe_simulators.companies_house import (
    CompaniesHouseSimulator,
    Fault,
    SimulatorConfig,
)
from leadpipe_testing import poll_until
from stream_ingest.bootstrap import definition
from stream_ingest.settings import Settings

from .conftest import read_messages

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Service[Settings]]:
    service = Service(definition, settings)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


def with_stream(settings: Settings, sim: CompaniesHouseSimulator, **changes: object) -> Settings:
    return msgspec.structs.replace(
        settings,
        ch_stream_url=sim.stream_url,
        ch_stream_key=Secret("test-stream-key"),
        stream_backoff_initial_seconds=0.05,
        stream_backoff_max_seconds=0.2,
        **changes,
    )


async def test_a_416_resumes_without_timepoint_records_the_gap_and_queues_low_priority_rechecks(
    settings: Settings, bus: tuple[NatsClient, Publisher], namespace: str, db: Database
) -> None:
    client, _ = bus
    config = SimulatorConfig(seed=4, size=3_000, retention=100, heartbeat_interval=0.3)
    async with CompaniesHouseSimulator(config) as sim:
        sim.stream.emit_noise(400)
        too_old = sim.stream.logs["companies"].first_retained - 50
        async with db.transaction() as connection:
            await connection.execute(
                "INSERT INTO stream_positions (stream, timepoint) VALUES ('companies', $1)", too_old
            )
            await connection.execute(
                "INSERT INTO companies (company_number, company_name, status, status_detail,"
                " strike_off, strike_off_kind, observed_at, source, source_ref) VALUES"
                " ('09999999', 'GAP LTD', 'active', 'active-proposal-to-strike-off', true,"
                " 'compulsory', $1, 'stream', 'companies:1')",
                dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
            )
        async with running(with_stream(settings, sim, streams=("companies",))):
            await poll_until(lambda: sim.stream.connections, message="reconnected")
            sim.stream.emit_noise(5)

            async def resumed() -> bool:
                async with db.pool.acquire() as connection:
                    gap = await connection.fetchrow("SELECT * FROM stream_gaps")
                    position = await connection.fetchval(
                        "SELECT timepoint FROM stream_positions WHERE stream = 'companies'"
                    )
                return gap is not None and gap["gap_to"] is not None and position is not None

            await poll_until(resumed, timeout=15, message="resumed after the gap")

            async def requested() -> list[tuple[str | None, dict[str, object]]]:
                return await read_messages(client, namespace, "chgw.requests.low")

            requests = await poll_until(requested, timeout=15, message="low-priority recheck")
        statuses = await read_messages(client, namespace, "status.stream.companies")
        async with db.pool.acquire() as connection:
            gap = await connection.fetchrow("SELECT * FROM stream_gaps")
    assert sim.stream.connection_counts["rejected_416"] >= 1
    assert gap["gap_from"] == too_old
    assert gap["rechecks"] == 1
    assert [body["company_number"] for _, body in requests] == ["09999999"]
    assert any(body.get("gap_from") == too_old for _, body in statuses)


async def test_a_connected_but_silent_stream_is_a_distinct_degraded_state(
    settings: Settings, bus: tuple[NatsClient, Publisher], namespace: str
) -> None:
    client, _ = bus
    config = SimulatorConfig(seed=4, size=3_000, heartbeat_interval=0.1)
    async with CompaniesHouseSimulator(config) as sim:
        sim.stream.faults.add(Fault("stall", count=None, path_prefix="/companies"))
        changed = with_stream(settings, sim, streams=("companies",), stream_watchdog_minutes=0.01)
        async with running(changed) as service:
            sim.stream.emit_noise(3)

            async def silent() -> bool:
                check = (await service.health.readiness())["stream:companies"]
                return check.status is Status.DEGRADED and "silent" in (check.detail or "")

            await poll_until(silent, timeout=10, message="silent state")

            async def reported() -> bool:
                found = await read_messages(client, namespace, "status.stream.companies")
                return "silent" in [body["state"] for _, body in found]

            await poll_until(reported, timeout=10, message="silent status published")
            sim.stream.faults.clear()
            sim.stream.emit_noise(3)

            async def healthy() -> bool:
                check = (await service.health.readiness())["stream:companies"]
                return check.status is Status.OK

            await poll_until(healthy, timeout=10, message="data events again")


async def test_a_429_is_reported_and_retried_after_the_configured_wait(
    settings: Settings, bus: tuple[NatsClient, Publisher], namespace: str
) -> None:
    client, _ = bus
    config = SimulatorConfig(seed=4, size=3_000, heartbeat_interval=0.2, max_stream_connections=1)
    async with CompaniesHouseSimulator(config) as sim:
        changed = with_stream(settings, sim, stream_rate_limit_wait_seconds=0.2)
        async with running(changed):
            await poll_until(
                lambda: sim.stream.connection_counts["rejected_429"] >= 2,
                timeout=10,
                message="429 retried",
            )
        statuses = await read_messages(client, namespace, "status.stream.filings") + (
            await read_messages(client, namespace, "status.stream.companies")
        )
    assert "rate_limited" in [body["state"] for _, body in statuses]


async def test_without_a_streaming_key_the_service_runs_and_its_health_says_streams_are_off(
    settings: Settings,
) -> None:
    async with running(settings) as service:
        checks = await service.health.readiness()
    assert checks["streams"].status is Status.OK
    assert "LEADPIPE_CH_STREAM_KEY is not set" in (checks["streams"].detail or "")
