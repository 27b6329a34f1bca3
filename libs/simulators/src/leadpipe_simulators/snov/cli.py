"""``python -m leadpipe_simulators snov``: run the Snov.io simulator standalone.

Example:
``python -m leadpipe_simulators snov --port 8600 --client-id X --client-secret Y --seed 7``.
Prints the base URL on stdout once listening; SIGINT or SIGTERM stops it cleanly.
"""

from __future__ import annotations

import argparse
import asyncio

from leadpipe_simulators._common.cli_support import add_common_arguments, serve_until_signalled
from leadpipe_simulators.snov.config import SnovConfig
from leadpipe_simulators.snov.simulator import SnovSimulator


def build_parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="leadpipe-sim snov", description="Run the Snov.io API simulator."
    )
    add_common_arguments(parser, default_port=8600)
    defaults = SnovConfig()
    parser.add_argument("--client-id", default=defaults.client_id)
    parser.add_argument("--client-secret", default=defaults.client_secret)
    parser.add_argument(
        "--balance", type=int, default=defaults.balance, help="starting credits (%(default)s)"
    )
    parser.add_argument(
        "--token-lifetime", type=float, default=defaults.token_lifetime, help="seconds"
    )
    parser.add_argument(
        "--domain-delay",
        type=float,
        default=defaults.domain_task_delay,
        help="seconds a company-domain task stays in progress (%(default)s)",
    )
    parser.add_argument(
        "--email-delay",
        type=float,
        default=defaults.email_task_delay,
        help="seconds an e-mail task stays in progress (%(default)s)",
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=defaults.rate_limit,
        help="requests per client per window (%(default)s)",
    )
    parser.add_argument(
        "--rate-window", type=float, default=defaults.rate_window, help="seconds (%(default)s)"
    )
    return parser


def main(argv: list[str]) -> None:
    """Parse ``argv`` and serve until interrupted."""
    args = build_parser().parse_args(argv)
    config = SnovConfig(
        client_id=args.client_id,
        client_secret=args.client_secret,
        balance=args.balance,
        seed=args.seed,
        time_scale=args.time_scale,
        token_lifetime=args.token_lifetime,
        domain_task_delay=args.domain_delay,
        email_task_delay=args.email_delay,
        rate_limit=args.rate_limit,
        rate_window=args.rate_window,
    )
    asyncio.run(serve_until_signalled(SnovSimulator(config), args.host, args.port))
