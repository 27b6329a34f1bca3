"""P3: stream-ingest catching up a 200,000-event backlog (decoded, published, checkpointed).

What is measured: the Companies House simulator runs as its own process (Companies House is
remote; sharing this process's event loop and heap would charge its work to stream-ingest) with
a backlog on its companies stream. stream-ingest runs in this process, as in its integration
tests, against a fresh NATS JetStream and Postgres schema, with its checkpoint just before the
backlog. The clock runs from the service's start until the stored checkpoint reaches the last
timepoint: HTTP stream → client → decode → transition law on the Postgres states → events
published and acknowledged by JetStream → states and checkpoint stored. Afterwards the messages
in the COMPANIES stream are counted by subject.

The catch-up runs once per broker fsync policy, each on a fresh broker: ``sync_interval: always``
(the deployments' setting) and the server's default (fsync every 2 minutes);
``LEADPIPE_BENCH_NATS_SYNC=always|default`` runs only one. Side by side, in the same run: the
backlog read and decoded only (no state, no publish, no checkpoint), and the broker's raw rate
for 1 kB messages published one by one with pipelined acks (``publish_async``) and in atomic
batches of 1,000 — what the HTTP + decode path and JetStream allow on this machine.
``LEADPIPE_BENCH_STREAM_EVENTS`` changes the backlog size (default 200,000).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import nats
import psutil
from nats.js.api import StreamConfig

from bench._broker import broker
from bench.results import Result
from leadpipe_bus import Topology
from leadpipe_db import Database
from leadpipe_runtime import Secret, Service
from leadpipe_testing.servers import postgres_server
from stream_ingest.bootstrap import definition
from stream_ingest.envelope import DECODERS
from stream_ingest.settings import Settings

KEY = "test-stream-key"
TARGET = 20_000.0


@contextlib.contextmanager
def _simulator(events: int) -> Iterator[str]:
    """The Companies House simulator as its own process with ``events`` queued; yields its URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "leadpipe_simulators",
            "companies-house",
            *("--seed", "3", "--size", "200000", "--heartbeat", "5"),
            *("--retention", str(events + 10), "--backlog", str(events), "--stream-key", KEY),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("companies-house stream"):
                yield line.split()[-1]
                break
        else:
            raise RuntimeError("the simulator exited before serving")
    finally:
        process.terminate()
        process.wait(timeout=30)


async def _backlog(url: str) -> tuple[int, int]:
    """First and last timepoint of the simulator's companies stream."""
    async with aiohttp.ClientSession() as session, session.get(f"{url}/_sim/stats") as response:
        stats = (await response.json())["streams"]["companies"]
    return int(stats["first_retained"]), int(stats["next_timepoint"]) - 1


async def _decode_only(url: str, start: int, last: int) -> float:
    """Read the backlog and decode every line; returns events per second."""
    decoder = DECODERS["companies"]
    headers = {"Authorization": aiohttp.encode_basic_auth(KEY, "")}
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


async def _broker_ceilings(nats_url: str) -> tuple[float, float]:
    """Raw JetStream rates for 1 kB messages: one by one (publish_async) and atomic batches."""
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        await js.add_stream(StreamConfig(name="BENCH_RAW", subjects=["bench.raw"]))
        await js.add_stream(
            StreamConfig(name="BENCH_ATOMIC", subjects=["bench.atomic"], allow_atomic=True)
        )
        payload = b"x" * 1_000
        count = 5_000
        started = time.perf_counter()
        futures = [
            await js.publish_async("bench.raw", payload, headers={"Nats-Msg-Id": f"raw:{n}"})
            for n in range(count)
        ]
        await asyncio.gather(*futures)
        one_by_one = count / (time.perf_counter() - started)
        count = 20_000
        started = time.perf_counter()
        for first in range(0, count, 1_000):
            batch = uuid.uuid4().hex
            for n in range(first, first + 1_000):
                headers = {
                    "Nats-Msg-Id": f"atomic:{n}",
                    "Nats-Batch-Id": batch,
                    "Nats-Batch-Sequence": str(n - first + 1),
                }
                if n == first + 999:
                    headers["Nats-Batch-Commit"] = "1"
                    await client.request("bench.atomic", payload, timeout=30, headers=headers)
                else:
                    await client.publish("bench.atomic", payload, headers=headers)
        atomic = count / (time.perf_counter() - started)
        return one_by_one, atomic
    finally:
        await client.close()


def _cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by this process (stream-ingest) and its children, by name."""
    used: dict[str, float] = {}
    me = psutil.Process()
    for process in (me, *me.children(recursive=True)):
        with contextlib.suppress(psutil.Error):
            name = "stream-ingest" if process.pid == me.pid else process.name()
            if name.startswith("python"):
                name = "simulator"
            times = process.cpu_times()
            used[name] = used.get(name, 0.0) + times.user + times.system
    return used


async def _catch_up(
    work: Path, mode: str, url: str, first: int, last: int
) -> tuple[float, int, dict[str, int], dict[str, float]]:
    """One catch-up on a fresh broker.

    Returns:
        Seconds, companies stored, messages by subject, CPU seconds by process.
    """
    namespace = "p" + uuid.uuid4().hex[:8]
    with broker(work / f"nats-{mode}", mode) as nats_url, postgres_server(work / "pg") as pg:
        ceilings = await _broker_ceilings(nats_url)
        print(
            f"  broker ceiling, 1 kB messages: one by one {ceilings[0]:,.0f} msg/s,"
            f" atomic batches of 1,000 {ceilings[1]:,.0f} msg/s"
        )
        settings = Settings(
            nats_url=nats_url,
            database_url=Secret(pg),
            namespace=namespace,
            ops_port=0,
            ch_stream_url=url,
            ch_stream_key=Secret(KEY),
            streams=("companies",),
            log_level="WARNING",
        )
        db = Database(pg, definition.schema(namespace))
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
        cpu_before = _cpu_seconds()
        try:
            while True:
                async with db.pool.acquire() as connection:
                    position = await connection.fetchval(
                        "SELECT timepoint FROM stream_positions WHERE stream = 'companies'"
                    )
                if position >= last:
                    break
                await asyncio.sleep(0.02)
            seconds = time.perf_counter() - started
            cpu_after = _cpu_seconds()
            cpu = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after}
            async with db.pool.acquire() as connection:
                stored = await connection.fetchval("SELECT count(*) FROM companies")
        finally:
            await service.stop()
            await db.close()
        client = await nats.connect(nats_url)
        try:
            topology = Topology(namespace)
            info = await client.jetstream().stream_info(
                topology.stream_name("COMPANIES"), subjects_filter=">"
            )
            subjects = {
                topology.base_subject(subject): count
                for subject, count in sorted((info.state.subjects or {}).items())
            }
        finally:
            await client.close()
    return seconds, stored, subjects, cpu


async def run() -> list[Result]:
    """Run P3 with each broker fsync policy and return the results."""
    events = int(os.environ.get("LEADPIPE_BENCH_STREAM_EVENTS", 200_000))
    chosen = os.environ.get("LEADPIPE_BENCH_NATS_SYNC")
    modes = [chosen] if chosen else ["always", "default"]
    if any(mode not in ("always", "default") for mode in modes):
        raise ValueError("LEADPIPE_BENCH_NATS_SYNC must be 'always' or 'default'")
    results: list[Result] = []
    generated = time.perf_counter()
    with _simulator(events) as url, tempfile.TemporaryDirectory() as work:
        first, last = await _backlog(url)
        took = time.perf_counter() - generated
        print(f"simulator process up with a backlog of {last - first + 1:,} events ({took:.1f}s)")
        decode_rate = await _decode_only(url, first, last)
        print(f"read + decode only: {decode_rate:,.0f} events/s")
        for mode in modes:
            print(f"NATS sync_interval: {mode}")
            seconds, stored, subjects, cpu = await _catch_up(Path(work), mode, url, first, last)
            rate = events / seconds
            counts = ", ".join(f"{subject} {count:,}" for subject, count in subjects.items())
            print(
                f"  stream-ingest catch-up: {events:,} events in {seconds:.2f}s ="
                f" {rate:,.0f} events/s ({rate / decode_rate:.2f} of read + decode only);"
                f" {stored:,} companies stored; published: {counts}"
            )
            # CPU per event shows where the 2 cores went, whatever else ran on the machine.
            shares = ", ".join(
                f"{name} {1e6 * used / events:.0f}"
                for name, used in sorted(cpu.items(), key=lambda item: -item[1])
                if used > 0
            )
            print(f"  CPU µs per event: {shares}; machine load average {os.getloadavg()[0]:.1f}")
            # Not a measurement: what these CPU costs would allow with the machine to itself
            # (stream-ingest is one thread; everything shares 2 cores), next to the measured rate.
            single = cpu.get("stream-ingest", 0.0) / events
            total = sum(cpu.values()) / events
            if single > 0:
                bound = min(1 / single, (os.cpu_count() or 1) / total)
                print(f"  rate these CPU costs allow on an otherwise idle machine: {bound:,.0f}/s")
            results.append(
                Result(
                    f"P3 stream catch-up (sync_interval {mode})", rate, TARGET, True, " events/s"
                )
            )
    return results
