"""Running a simulator standalone: shared arguments, print the URL, stop on SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from leadpipe_simulators._common.server import HttpSimulator


def add_common_arguments(parser: argparse.ArgumentParser, default_port: int) -> None:
    """Options every simulator accepts: where to listen, the seed and the time scale."""
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=default_port,
        help="port, 0 for any free one (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of every simulated outcome")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="simulated seconds per real second, to accelerate long waits (default %(default)s)",
    )


async def serve_until_signalled(simulator: HttpSimulator, host: str, port: int) -> None:
    """Start ``simulator``, print its URL on stdout, and stop cleanly on SIGINT or SIGTERM."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        url = await simulator.start(host, port)
        print(url, flush=True)
        await stop.wait()
    finally:
        await simulator.stop()
        for sig in signals:
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(sig)
