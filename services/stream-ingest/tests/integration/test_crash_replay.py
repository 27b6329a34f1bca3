"""kill -9 during a replay: no event lost, none duplicated downstream.

stream-ingest runs as a real process (``python -m stream_ingest``) against the simulator's
companies stream, on top of the snapshot the simulated register starts from, is killed with
SIGKILL in the middle of a backlog replay and started again. Every real profile change must be
published exactly once (by ``Nats-Msg-Id``), and every strike-off entry and exit the simulator
made exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Publisher
from leadpipe_db import Database
from leadpipe_simulators.companies_house import (
    CompaniesHouseSimulator,
    SimulatorConfig,
    write_snapshot,
)
from leadpipe_testing import poll_until
from stream_ingest.cli import bulk_import
from stream_ingest.settings import Settings

from .conftest import read_messages
from .expected import expected_observations

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BACKLOG = 12_000


def start(settings: Settings, sim: CompaniesHouseSimulator) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LEADPIPE_NATS_URL": settings.nats_url,
        "LEADPIPE_DATABASE_URL": settings.database_url.reveal(),
        "LEADPIPE_NAMESPACE": settings.namespace,
        "LEADPIPE_OPS_PORT": "0",
        "LEADPIPE_CH_STREAM_URL": sim.stream_url,
        "LEADPIPE_CH_STREAM_KEY": "test-stream-key",
        "LEADPIPE_STREAMS": "companies",
        "LEADPIPE_STREAM_BATCH_EVENTS": "250",
        "LEADPIPE_STREAM_BACKOFF_INITIAL_SECONDS": "0.1",
        "LEADPIPE_STREAM_BACKOFF_MAX_SECONDS": "1",
        "LEADPIPE_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "stream_ingest"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_kill_9_during_a_replay_loses_no_event_and_duplicates_none_downstream(
    settings: Settings,
    bus: tuple[NatsClient, Publisher],
    namespace: str,
    db: Database,
    tmp_path: Path,
) -> None:
    client, _ = bus
    config = SimulatorConfig(seed=9, size=20_000, heartbeat_interval=1.0)
    # The snapshot the stream continues from: base strike-off companies are known beforehand.
    snapshot = write_snapshot(tmp_path, rows=20_000, seed=9)
    await bulk_import(settings, str(snapshot.path))
    async with CompaniesHouseSimulator(config) as sim:
        sim.stream.generate_backlog(BACKLOG, stream="companies", strike_off_share=0.05)
        logs = sim.stream.logs
        async with db.transaction() as connection:
            for name in ("companies",):
                await connection.execute(
                    "INSERT INTO stream_positions (stream, timepoint) VALUES ($1, $2)",
                    name,
                    logs[name].first_retained - 1,
                )
        last = {"companies": logs["companies"].next_timepoint - 1}

        async def positions() -> dict[str, int]:
            async with db.pool.acquire() as connection:
                rows = await connection.fetch("SELECT stream, timepoint FROM stream_positions")
            return {row["stream"]: row["timepoint"] for row in rows}

        process = start(settings, sim)
        try:
            first = logs["companies"].first_retained
            await poll_until(
                lambda: _past(positions, first + BACKLOG // 3),
                timeout=60,
                message="a third of the replay checkpointed",
            )
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            killed_at = (await positions())["companies"]
            assert killed_at < last["companies"], "killed after the replay had finished"

            process = start(settings, sim)
            await poll_until(
                lambda: _reached(positions, last), timeout=90, message="replay finished"
            )
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

        observed = [
            (msg_id, body)
            for msg_id, body in await read_messages(client, namespace, "companies.observed")
            if body["source"] == "stream"
        ]
        entered = [
            (msg_id, body)
            for msg_id, body in await read_messages(
                client, namespace, "companies.strikeoff.entered"
            )
            if body["source"] == "stream"
        ]
        expected = expected_observations(sim)
        left = await read_messages(client, namespace, "companies.strikeoff.left")
        entries = [t for t in sim.stream.transitions if t.change == "entered"]
        exits = [t for t in sim.stream.transitions if t.change == "left"]

    ids = Counter(msg_id for msg_id, _ in observed)
    assert max(ids.values()) == 1
    assert set(ids) == expected
    assert Counter(str(body["company_number"]) for _, body in entered) == Counter(
        t.number for t in entries
    )
    assert Counter(str(body["company_number"]) for _, body in left) == Counter(
        t.number for t in exits
    )


async def _past(positions: object, timepoint: int) -> bool:
    found = await positions()  # type: ignore[operator]
    return bool(found.get("companies", 0) >= timepoint)


async def _reached(positions: object, last: dict[str, int]) -> bool:
    found = await positions()  # type: ignore[operator]
    return all(found.get(name) == value for name, value in last.items())
