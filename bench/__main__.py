"""``python -m bench [--no-record] [NAME …]``: run benchmarks, print a summary line per target.

Each benchmark is a module ``bench/<name>.py`` with ``async def run() -> list[Result]``; it runs
its baselines side by side in the same run and reports measured values against SPEC §6 targets.
Each finished benchmark is recorded in ``docs/performance.json`` and the measured performance page
``docs/performance.md`` is re-rendered (``--no-record`` skips that, e.g. for a trial on a busy
machine). The process exits non-zero if any target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import pkgutil
import sys
import time
from pathlib import Path

from bench import report
from bench.results import Result, print_summary

# Modules of the package that are not benchmarks.
_SUPPORT = frozenset({"results", "report"})


def _discover() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        module.name
        for module in pkgutil.iter_modules([str(here)])
        if not module.name.startswith("_") and module.name not in _SUPPORT
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default all)")
    parser.add_argument(
        "--no-record", action="store_true", help="do not update docs/performance.{json,md}"
    )
    args = parser.parse_args(argv)
    known = _discover()
    unknown = sorted(set(args.names) - set(known))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(known)}")
    results: list[Result] = []
    for name in args.names or known:
        module = importlib.import_module(f"bench.{name}")
        started = time.monotonic()
        measured: list[Result] = asyncio.run(module.run())
        if not args.no_record:
            report.record(name, measured, time.monotonic() - started)
        results.extend(measured)
    print_summary(results)
    return 0 if all(result.met for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
