"""Command line: run the simulator standalone, or write a bulk snapshot.

    python -m leadpipe_simulators companies-house --rest-port 8500 --stream-port 8501 \\
        --seed 7 --size 20000 --rest-key K --stream-key S --live-rate 2
    python -m leadpipe_simulators companies-house bulk --rows 5500000 --out /data \\
        --zip --as-of 2026-11-01 [--parts 7] [--malformed 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from datetime import date

from .bulk import pick_malformed_rows, write_snapshot, write_snapshot_parts
from .config import SimulatorConfig
from .population import DEFAULT_AS_OF
from .server import CompaniesHouseSimulator


def _serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadpipe-sim companies-house",
        description="Companies House REST + Streaming API simulator ('bulk' writes a snapshot).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--rest-port", type=int, default=0)
    parser.add_argument("--stream-port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--size", type=int, default=20_000, help="companies in the population")
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF)
    parser.add_argument("--rest-key", action="append", help="REST API key (repeatable)")
    parser.add_argument("--stream-key", action="append", help="stream key (repeatable)")
    parser.add_argument("--rate-limit", type=int, default=600)
    parser.add_argument("--rate-window", type=float, default=300.0, help="seconds")
    parser.add_argument("--ip-rate-limit", type=int, default=None, help="enable the 403 IP limit")
    parser.add_argument("--ip-rate-window", type=float, default=300.0)
    parser.add_argument("--heartbeat", type=float, default=30.0, help="seconds between heartbeats")
    parser.add_argument("--retention", type=int, default=1_000_000, help="events kept per stream")
    parser.add_argument("--max-connections", type=int, default=10, help="per stream key")
    parser.add_argument("--omit-status-detail", action="store_true")
    parser.add_argument("--live-rate", type=float, default=0.0, help="events per second")
    parser.add_argument("--backlog", type=int, default=0, help="pre-generate N company events")
    parser.add_argument(
        "--officers",
        action="append",
        default=[],
        metavar="NUMBER=COUNT",
        help="force a company's officer count (repeatable)",
    )
    return parser


def _bulk_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadpipe-sim companies-house bulk",
        description="Write a BasicCompanyDataAsOneFile snapshot of the synthetic register.",
    )
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--out", required=True, help="directory, or a .csv/.zip file path")
    parser.add_argument("--zip", action="store_true", help="zip output (default for parts)")
    parser.add_argument("--parts", type=int, default=0, help="split into N part files")
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--population-size", type=int, default=None)
    parser.add_argument("--malformed", type=int, default=0, help="inject N malformed rows")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--compresslevel", type=int, default=6)
    return parser


def _bulk(argv: list[str]) -> None:
    args = _bulk_parser().parse_args(argv)
    malformed = (
        pick_malformed_rows(args.rows, args.malformed, seed=args.seed) if args.malformed else None
    )
    started = time.perf_counter()
    if args.parts:
        results = write_snapshot_parts(
            args.out,
            rows=args.rows,
            parts=args.parts,
            seed=args.seed,
            as_of=args.as_of,
            population_size=args.population_size,
            zipped=args.zip or not args.out.endswith(".csv"),
            malformed=malformed,
            workers=args.workers,
            compresslevel=args.compresslevel,
        )
    else:
        results = [
            write_snapshot(
                args.out,
                rows=args.rows,
                seed=args.seed,
                as_of=args.as_of,
                population_size=args.population_size,
                zipped=True if args.zip else None,
                malformed=malformed,
                workers=args.workers,
                compresslevel=args.compresslevel,
            )
        ]
    seconds = time.perf_counter() - started
    summary = {
        "paths": [str(r.path) for r in results],
        "rows": sum(r.rows for r in results),
        "strike_off_count": sum(r.strike_off_count for r in results),
        "malformed_lines": [
            {"path": str(r.path), "line": m.line, "row": m.row, "kind": m.kind}
            for r in results
            for m in r.malformed_lines
        ],
        "bytes": sum(r.path.stat().st_size for r in results),
        "seconds": round(seconds, 2),
        "rows_per_second": round(sum(r.rows for r in results) / seconds),
    }
    print(json.dumps(summary))


async def _serve(
    config: SimulatorConfig, host: str, rest_port: int, stream_port: int, backlog: int
) -> None:
    simulator = CompaniesHouseSimulator(config)
    if backlog:
        simulator.stream.generate_backlog(backlog)
    await simulator.start(host, rest_port, stream_port)
    print(f"companies-house REST   {simulator.rest_url}", flush=True)
    print(f"companies-house stream {simulator.stream_url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await simulator.stop()
        print("companies-house simulator stopped", flush=True)


def main(argv: list[str]) -> None:
    """Entry point used by ``python -m leadpipe_simulators companies-house``."""
    if argv and argv[0] == "bulk":
        _bulk(argv[1:])
        return
    if argv and argv[0] == "serve":
        argv = argv[1:]
    args = _serve_parser().parse_args(argv)
    officers: dict[str, int] = {}
    for item in args.officers:
        number, _, count = item.partition("=")
        if not count.isdigit():
            sys.exit(f"--officers expects NUMBER=COUNT, got {item!r}")
        officers[number.upper()] = int(count)
    config = SimulatorConfig(
        seed=args.seed,
        size=args.size,
        as_of=args.as_of,
        officer_counts=officers,
        rest_keys=tuple(args.rest_key or ["test-rest-key"]),
        stream_keys=tuple(args.stream_key or ["test-stream-key"]),
        rate_limit=args.rate_limit,
        rate_window=args.rate_window,
        ip_rate_limit=args.ip_rate_limit,
        ip_rate_window=args.ip_rate_window,
        heartbeat_interval=args.heartbeat,
        retention=args.retention,
        max_stream_connections=args.max_connections,
        omit_status_detail=args.omit_status_detail,
        live_rate=args.live_rate,
    )
    asyncio.run(_serve(config, args.host, args.rest_port, args.stream_port, args.backlog))
