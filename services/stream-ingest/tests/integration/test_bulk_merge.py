"""Stream and snapshot observations merge by time (SPEC 3.1 "Transitions").

A stream change on day 5 survives a snapshot dated day 1 that says otherwise — the import emits
nothing for the company and leaves its state alone — while a snapshot dated day 6 applies.
The stream runs against the Companies House simulator on a virtual clock set to day 5; the
snapshots are the simulator's own population, written by its bulk generator.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Publisher
from leadpipe_db import Database
from leadpipe_runtime import Secret, Service
from leadpipe_simulators.companies_house import (
    STRIKE_OFF_STATUS,
    CompaniesHouseSimulator,
    SimulatorConfig,
    VirtualClock,
    write_snapshot,
)
from leadpipe_testing import poll_until
from stream_ingest.bootstrap import definition
from stream_ingest.cli import bulk_import
from stream_ingest.settings import Settings

from .conftest import read_messages

pytestmark = pytest.mark.integration

DAY_5_NOON = dt.datetime(2026, 12, 5, 12, tzinfo=dt.UTC)


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[None]:
    service = Service(definition, settings)
    await service.start()
    try:
        yield
    finally:
        await service.stop()


def snapshot_dated(source: Path, day: dt.date, directory: Path) -> Path:
    """The same rows under a name that dates the snapshot ``day``."""
    directory.mkdir()
    return Path(shutil.copy(source, directory / f"BasicCompanyDataAsOneFile-{day}.csv"))


async def company_state(db: Database, number: str) -> tuple[bool, dt.datetime] | None:
    async with db.pool.acquire() as connection:
        row = await connection.fetchrow(
            "SELECT strike_off, observed_at FROM companies WHERE company_number = $1", number
        )
    return None if row is None else (row["strike_off"], row["observed_at"])


async def transitions(
    client: NatsClient, namespace: str, numbers: set[str]
) -> list[tuple[str, str, object]]:
    """(change, company number, source) of the StrikeOffEntered / StrikeOffLeft published for
    ``numbers``, in order."""
    found = []
    for change in ("entered", "left"):
        for _, body in await read_messages(client, namespace, f"companies.strikeoff.{change}"):
            if body["company_number"] in numbers:
                found.append((change, str(body["company_number"]), body["source"]))
    return found


async def test_a_stream_change_on_day_5_survives_a_snapshot_dated_day_1_and_yields_to_one_dated_day_6(  # noqa: E501
    settings: Settings,
    bus: tuple[NatsClient, Publisher],
    namespace: str,
    db: Database,
    tmp_path: Path,
) -> None:
    client, _ = bus
    config = SimulatorConfig(
        seed=8, size=3_000, heartbeat_interval=0.5, clock=VirtualClock(DAY_5_NOON.timestamp())
    )
    async with CompaniesHouseSimulator(config) as sim:
        entering = next(
            number
            for number in sim.population.iter_numbers(bulk_status="Active")
            if (facts := sim.population.company(number)) is not None and facts.status == "active"
        )
        leaving = next(sim.population.iter_numbers(bulk_status=STRIKE_OFF_STATUS))
        service_settings = msgspec.structs.replace(
            settings,
            ch_stream_url=sim.stream_url,
            ch_stream_key=Secret("test-stream-key"),
            signal_grace_seconds=0.3,
        )
        async with running(service_settings):
            await poll_until(lambda: len(sim.stream.connections) == 2, message="connected")
            # Day 5 on the stream: one company enters strike-off, one that the snapshots list
            # in strike-off leaves it.
            sim.stream.enter_strike_off(entering, "voluntary")
            sim.stream.leave_strike_off(leaving)

            async def both_observed() -> bool:
                return await company_state(db, entering) == (True, DAY_5_NOON) and (
                    await company_state(db, leaving) == (False, DAY_5_NOON)
                )

            await poll_until(both_observed, timeout=20, message="day-5 stream observations")
    watched = {entering, leaving}
    after_stream = await transitions(client, namespace, watched)
    # The snapshots hold the population as the generator writes it: ``entering`` is Active in
    # them, ``leaving`` in strike-off.
    rows = write_snapshot(tmp_path / "rows.csv", rows=config.size, seed=config.seed)
    day_1 = snapshot_dated(rows.path, dt.date(2026, 12, 1), tmp_path / "day1")
    day_6 = snapshot_dated(rows.path, dt.date(2026, 12, 6), tmp_path / "day6")

    older = await bulk_import(settings, str(day_1))

    after_day_1 = await transitions(client, namespace, watched)
    assert after_stream == [("entered", entering, "stream")]
    assert after_day_1 == after_stream
    assert await company_state(db, entering) == (True, DAY_5_NOON)
    assert await company_state(db, leaving) == (False, DAY_5_NOON)
    assert older.entered == rows.strike_off_count - 1  # every strike-off row but ``leaving``

    newer = await bulk_import(settings, str(day_6))

    day_6_midnight = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
    from_day_6 = [t for t in await transitions(client, namespace, watched) if t not in after_day_1]
    assert sorted(from_day_6) == [("entered", leaving, "bulk"), ("left", entering, "bulk")]
    assert await company_state(db, entering) == (False, day_6_midnight)
    assert await company_state(db, leaving) == (True, day_6_midnight)
    assert (newer.entered, newer.left) == (1, 1)
