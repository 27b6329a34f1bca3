"""The measured performance page: ``docs/performance.md``, rendered from ``docs/performance.json``.

Every ``python -m bench`` run records, per benchmark, its summary results with the machine, the
commit and the date into ``docs/performance.json`` (benchmarks not run keep their last record), then
renders the page from that file alone. Rendering is deterministic, so a test can check that the
page in the repository is exactly what its data renders to — the page is never edited by hand.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import platform
import subprocess
from pathlib import Path
from typing import Final

import msgspec

from bench.results import Result

ROOT: Final = Path(__file__).resolve().parents[1]
DATA: Final = ROOT / "docs" / "performance.json"
PAGE: Final = ROOT / "docs" / "performance.md"

# SPEC §6 id → what the benchmark exercises and how to run it.
_SCENARIOS: Final = {
    "bulk_import": (
        "P1",
        "bulk import of a generated full-size BasicCompanyData snapshot into Postgres, "
        "transitions published; baselines: polars filter-only scan, pandas chunked "
        "`read_csv` + filter + `to_sql`, all on the same file in the same run",
    ),
    "gateway": (
        "P2",
        "ch-gateway under 10x oversubscribed demand for several windows of the Companies House "
        "simulator on an accelerated clock",
    ),
    "stream_catchup": (
        "P3",
        "stream-ingest catching up a 200 k-event backlog from the stream simulator",
    ),
    "end_to_end": (
        "P4",
        "strike-off stream event → CRM contact through every service and simulator",
    ),
    "query_api": (
        "P5",
        "query-api over 400 k companies and 1.2 M officers under `wrk` at 64 connections; "
        "baseline: a bare FastAPI + asyncpg primary-key lookup served the same way",
    ),
}


class Run(msgspec.Struct, frozen=True, kw_only=True):
    """One benchmark's last run."""

    benchmark: str
    finished_at: str
    commit: str
    machine: str
    seconds: float
    results: list[Result]


class Record(msgspec.Struct, kw_only=True):
    runs: dict[str, Run] = msgspec.field(default_factory=dict)


def machine() -> str:
    """A one-line description of the machine the figures come from."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        pass
    return (
        f"{os.cpu_count()} CPUs ({model}){memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def commit() -> str:
    """The checked-out commit, marked ``+changes`` when the work tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        # The records this module writes are not changes to what was measured.
        dirty = subprocess.run(
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!docs/performance.*",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}+changes" if dirty else head


def load(path: Path = DATA) -> Record:
    if not path.exists():
        return Record()
    return msgspec.json.decode(path.read_bytes(), type=Record)


def record(
    name: str, results: list[Result], seconds: float, *, data: Path = DATA, page: Path = PAGE
) -> None:
    """Store one benchmark's results and re-render the page.

    Benchmarks may finish concurrently (separate ``python -m bench`` runs); an exclusive lock
    beside the data file keeps each read-modify-write whole.
    """
    with open(data.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _record(name, results, seconds, data, page)


def _record(name: str, results: list[Result], seconds: float, data: Path, page: Path) -> None:
    current = load(data)
    current.runs[name] = Run(
        benchmark=name,
        finished_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        commit=commit(),
        machine=machine(),
        seconds=round(seconds, 1),
        results=list(results),
    )
    ordered = Record(runs=dict(sorted(current.runs.items())))
    data.write_bytes(msgspec.json.format(msgspec.json.encode(ordered), indent=2) + b"\n")
    page.write_text(render(ordered))


def _value(value: float, unit: str) -> str:
    return f"{value:,.4g}{unit}" if abs(value) < 1e4 else f"{value:,.0f}{unit}"


def render(data: Record) -> str:
    """The page for ``data``; a pure function of it."""
    lines = [
        "# Performance",
        "",
        "Measured figures for the SPEC §6 targets, written by `make bench` (`python -m bench`)",
        "from `docs/performance.json`; do not edit by hand. Each benchmark runs its baselines in",
        "the same run, so ratios to a baseline hold across machines better than absolute figures.",
        "Run one benchmark with `make bench BENCH=gateway`; the others keep their last record.",
        "",
    ]
    if not data.runs:
        lines += ["No benchmark has been recorded yet.", ""]
    met = sum(result.met for run in data.runs.values() for result in run.results)
    total = sum(len(run.results) for run in data.runs.values())
    if total:
        lines += [f"**{met} of {total} targets met** in the last recorded runs.", ""]
    # In SPEC order (P1 … P5), then any benchmark without a SPEC id.
    for name, run in sorted(
        data.runs.items(), key=lambda item: _SCENARIOS.get(item[0], ("P~", ""))[0]
    ):
        spec_id, scenario = _SCENARIOS.get(name, ("", name))
        title = f"{spec_id} · `{name}`" if spec_id else f"`{name}`"
        lines += [
            f"## {title}",
            "",
            scenario[0].upper() + scenario[1:] + ".",
            "",
            f"Run {run.finished_at} on commit `{run.commit}`, {run.seconds:g} s; {run.machine}.",
            "",
            "| target | measured | goal | ratio | |",
            "|---|---:|---:|---:|---|",
        ]
        for result in run.results:
            sign = "≥" if result.higher_is_better else "≤"
            ratio = f"{result.ratio:.2f}" if result.goal else "—"
            verdict = "met" if result.met else "**missed**"
            lines.append(
                f"| {result.target} | {_value(result.measured, result.unit)} | "
                f"{sign} {_value(result.goal, result.unit)} | {ratio} | {verdict} |"
            )
        lines.append("")
    return "\n".join(lines)
