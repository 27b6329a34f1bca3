"""``python -m bench [NAME …]``: run the benchmarks and print one summary line per target.

Each benchmark is a module ``bench/<name>.py`` with ``async def run() -> list[Result]``; it runs
its baselines side by side in the same run and reports measured values against SPEC §6 targets.
The process exits non-zero if any target is missed.
"""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import sys
from pathlib import Path

from bench.results import Result, print_summary


def _discover() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        module.name
        for module in pkgutil.iter_modules([str(here)])
        if not module.name.startswith("_") and module.name not in ("results",)
    )


def main(argv: list[str]) -> int:
    names = argv or _discover()
    results: list[Result] = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        results.extend(asyncio.run(module.run()))
    print_summary(results)
    return 0 if all(result.met for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
