"""P3: stream-ingest catching up a 200,000-event backlog (decoded, published, checkpointed).

The Companies House simulator holds a backlog on its companies stream; stream-ingest (in this
process, as in its integration tests) starts with a checkpoint just before it and the clock
runs until the checkpoint reaches the last timepoint. Side by side: the same backlog read and
decoded only (no publish, no checkpoint), and the broker's raw acknowledged-publish rate, which
bound what the HTTP + decode path and JetStream allow on this machine.
``LEADPIPE_BENCH_STREAM_EVENTS`` changes the backlog size; ``LEADPIPE_BENCH_NATS_SYNC`` the
broker's fsync policy (``bench/_broker.py``).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

from bench._broker import broker, sync_mode
from bench.results import Result
from leadpipe_db import Database
from leadpipe_runtime import Secret, Service
from leadpipe_simulators.companies_house import CompaniesHouseSimulator, SimulatorConfig
from leadpipe_testing.servers import postgres_server
from stream_ingest.bootstrap import definition
from stream_ingest.envelope import DECODERS
from stream_ingest.settings import Settings


async def _decode_only(url: str, start: int, last: int) -> float:
    """Read the backlog and decode every line; returns events per second."""
    decoder = DECODERS["companies"]
    headers = {"Authorization": aiohttp.encode_basic_auth("test-stream-key", "")}
    started = time.perf_counter()
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{url}/companies",
            params={"timepoint": str(start)},
            headers=headers,
            read_bufsize=4 * 1024 * 1024,
        ) as response,
    ):
        pending = b""
        position = start - 1
        while position < last:
            chunk = await response.content.readany()
            data = pending + chunk
            cut = data.rfind(b"\n")
            pending = data[cut + 1 :]
            for line in data[:cut].split(b"\n"):
                if line.strip():
                    position = decoder.decode(line).event.timepoint
    return (last - start + 1) / (time.perf_counter() - started)


async def _broker_ceiling(nats_url: str, count: int = 20_000) -> float:
    """Raw JetStream publish_async rate of 1.5 kB messages on this broker (no client logic)."""
    import nats

    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        await js.add_stream(name="BENCH_RAW", subjects=["bench.raw"])
        payload = b"x" * 1_500
        started = time.perf_counter()
        futures = [
            await js.publish_async("bench.raw", payload, headers={"Nats-Msg-Id": f"raw:{n}"})
            for n in range(count)
        ]
        await asyncio.gather(*futures)
        return count / (time.perf_counter() - started)
    finally:
        await client.close()


async def run() -> list[Result]:
    """Run P3 and return its result."""
    events = int(os.environ.get("LEADPIPE_BENCH_STREAM_EVENTS", 200_000))
    config = SimulatorConfig(seed=3, size=200_000, heartbeat_interval=5.0, retention=events + 10)
    with tempfile.TemporaryDirectory() as work:  # noqa: SIM117 - work is used by the next line
        with broker(Path(work) / "nats") as nats_url, postgres_server(Path(work) / "pg") as pg:
            async with CompaniesHouseSimulator(config) as sim:
                generated = time.perf_counter()
                sim.stream.generate_backlog(events, stream="companies")
                took = time.perf_counter() - generated
                print(f"backlog of {events:,} events generated in {took:.1f}s")
                log = sim.stream.logs["companies"]
                first, last = log.first_retained, log.next_timepoint - 1
                decode_rate = await _decode_only(sim.stream_url, first, last)
                print(f"read + decode only: {decode_rate:,.0f} events/s")
                ceiling = await _broker_ceiling(nats_url)
                print(f"broker ceiling, raw publish_async of 1.5 kB messages: {ceiling:,.0f} msg/s")

                settings = Settings(
                    nats_url=nats_url,
                    database_url=Secret(pg),
                    namespace="p" + uuid.uuid4().hex[:8],
                    ops_port=0,
                    ch_stream_url=sim.stream_url,
                    ch_stream_key=Secret("test-stream-key"),
                    streams=("companies",),
                    log_level="WARNING",
                )
                db = Database(pg, definition.schema(settings.namespace))
                await db.open(timeout=30)
                await db.migrate(["stream_ingest.migrations"])
                async with db.transaction() as connection:
                    await connection.execute(
                        "INSERT INTO stream_positions (stream, timepoint) VALUES ('companies', $1)",
                        first - 1,
                    )
                service = Service(definition, settings)
                await service.start()
                started = time.perf_counter()  # the service is up; the catch-up begins
                try:
                    while True:
                        async with db.pool.acquire() as connection:
                            position = await connection.fetchval(
                                "SELECT timepoint FROM stream_positions WHERE stream = 'companies'"
                            )
                        if position >= last:
                            break
                        await asyncio.sleep(0.05)
                    seconds = time.perf_counter() - started
                    async with db.pool.acquire() as connection:
                        published = await connection.fetchval("SELECT count(*) FROM companies")
                finally:
                    await service.stop()
                    await db.close()
    rate = events / seconds
    print(
        f"stream-ingest catch-up: {events:,} events in {seconds:.1f}s = {rate:,.0f} events/s"
        f" ({published:,} companies stored); NATS sync_interval: {sync_mode()}"
    )
    return [Result("P3 stream catch-up", rate, 20_000.0, True, " events/s")]
