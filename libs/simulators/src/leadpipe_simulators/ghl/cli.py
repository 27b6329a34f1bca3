"""``python -m leadpipe_simulators ghl``: run the GoHighLevel simulator standalone.

Example: ``python -m leadpipe_simulators ghl --port 8700 --token T --location-id L``.
``--extra-token TOKEN=LOCATION`` (repeatable) accepts more tokens. Prints the base URL on stdout
once listening; SIGINT or SIGTERM stops it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio

from leadpipe_simulators._common.cli_support import add_common_arguments, serve_until_signalled
from leadpipe_simulators.ghl.config import GhlConfig, LocationSettings
from leadpipe_simulators.ghl.simulator import GhlSimulator


def _token_pair(text: str) -> tuple[str, str]:
    token, sep, location = text.partition("=")
    if not sep or not token or not location:
        raise argparse.ArgumentTypeError("expected TOKEN=LOCATION")
    return token, location


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="leadpipe-sim ghl", description="Run the GoHighLevel API v2 simulator."
    )
    add_common_arguments(parser, default_port=8700)
    parser.add_argument("--token", default="pit-leadpipe", help="accepted Bearer token")
    parser.add_argument("--location-id", default="leadpipe-location", help="the token's location")
    parser.add_argument(
        "--extra-token", type=_token_pair, action="append", default=[], metavar="TOKEN=LOCATION"
    )
    parser.add_argument("--burst-limit", type=int, default=100, help="requests per interval")
    parser.add_argument("--burst-interval", type=float, default=10.0, help="seconds")
    parser.add_argument("--daily-limit", type=int, default=200_000, help="requests per day")
    parser.add_argument(
        "--allow-duplicates",
        action="store_true",
        help='turn the location\'s "Allow Duplicate Contact" setting on',
    )
    return parser


def main(argv: list[str]) -> None:
    """Parse ``argv`` and serve until interrupted."""
    args = build_parser().parse_args(argv)
    tokens = {args.token: args.location_id, **dict(args.extra_token)}
    config = GhlConfig(
        tokens=tokens,
        seed=args.seed,
        time_scale=args.time_scale,
        burst_limit=args.burst_limit,
        burst_interval=args.burst_interval,
        daily_limit=args.daily_limit,
        locations={
            location: LocationSettings(allow_duplicates=args.allow_duplicates)
            for location in set(tokens.values())
        },
    )
    asyncio.run(serve_until_signalled(GhlSimulator(config), args.host, args.port))
