"""Throughput measurement of the stream backlog (generation and serving over loopback).

    python -m leadpipe_simulators.companies_house.measure --events 200000

Prints one JSON line: how long pre-generating the backlog took and how fast a client reading
the raw response (counting newline-terminated events) received it from ``?timepoint=``.
The client shares the process and the event loop with the server, so the serving figure is a
lower bound of what a separate client process sees.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import aiohttp

from .config import SimulatorConfig
from .server import CompaniesHouseSimulator
from .testing import basic_auth


async def measure_stream_backlog(events: int, size: int, seed: int) -> dict[str, float]:
    config = SimulatorConfig(seed=seed, size=size, heartbeat_interval=30.0)
    simulator = CompaniesHouseSimulator(config)
    first = simulator.stream.logs["companies"].next_timepoint
    started = time.perf_counter()
    simulator.stream.generate_backlog(events)
    generated = time.perf_counter() - started
    backlog_bytes = simulator.stream.logs["companies"].bytes_appended
    await simulator.start()
    try:
        url = f"{simulator.stream_url}/companies?timepoint={first}"
        headers = basic_auth(config.stream_keys[0])
        received = 0
        async with aiohttp.ClientSession() as http:
            started = time.perf_counter()
            async with http.get(url, headers=headers) as response:
                tail = b""
                async for chunk in response.content.iter_any():
                    # Count complete event lines; blank heartbeat lines are not events.
                    data = tail + chunk
                    lines = data.split(b"\n")
                    tail = lines.pop()
                    received += sum(1 for line in lines if line)
                    if received >= events:
                        break
            served = time.perf_counter() - started
    finally:
        await simulator.stop()
    return {
        "events": events,
        "backlog_megabytes": round(backlog_bytes / 1e6, 1),
        "generate_seconds": round(generated, 2),
        "generate_events_per_second": round(events / generated),
        "serve_seconds": round(served, 3),
        "serve_events_per_second": round(received / served),
        "serve_megabytes_per_second": round(backlog_bytes / 1e6 / served, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--size", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(measure_stream_backlog(args.events, args.size, args.seed))))


if __name__ == "__main__":
    main()
