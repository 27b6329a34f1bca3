"""P1: bulk import of a full-size generated snapshot, against polars and pandas in the same run.

What is measured (SPEC §6 P1):

- ``leadpipe bulk-import`` of the CSV, as its own process (wall time, peak RSS sampled with
  psutil), into a fresh namespace of a real Postgres and NATS JetStream: parse, validate, COPY,
  set-based transitions and every event published and acknowledged;
- the same for the zip of the same snapshot;
- a polars filter-only scan of the CSV (``scan_csv(...).filter(CompanyStatus == ...).collect()``);
- pandas chunked ``read_csv`` + filter + ``to_sql`` into the same Postgres. When the file has
  more than ``LEADPIPE_BENCH_PANDAS_ROWS`` rows (default 500,000) pandas runs on that prefix
  and its time is scaled linearly to the whole file; the output says so.

``LEADPIPE_BENCH_BULK_ROWS`` (default 5,500,000) sets the snapshot size; generated files are
cached under ``.data/bench/``. ``LEADPIPE_BENCH_NATS_SYNC`` picks the broker's fsync policy
(see ``bench/_broker.py``). polars, pandas, SQLAlchemy and psycopg2 are benchmark-only
dependencies.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil

from bench._broker import broker, sync_mode
from bench.results import Result
from leadpipe_simulators.companies_house import write_snapshot
from leadpipe_testing.servers import postgres_server

STRIKE_OFF = "Active - Proposal to Strike off"
FULL_ROWS = 5_500_000


def _rows() -> int:
    return int(os.environ.get("LEADPIPE_BENCH_BULK_ROWS", FULL_ROWS))


def _files(rows: int) -> tuple[Path, Path]:
    """The cached CSV and zip of a ``rows``-row snapshot (generated on first use)."""
    base = Path(".data/bench")
    directory = base if rows == FULL_ROWS else base / f"rows-{rows}"
    csv_path = directory / "BasicCompanyDataAsOneFile-2026-11-01.csv"
    zip_path = directory / "BasicCompanyDataAsOneFile-2026-11-01.zip"
    for path in (csv_path, zip_path):
        if not path.exists():
            print(f"generating {path} ({rows:,} rows) …", flush=True)
            write_snapshot(path, rows=rows, seed=7)
    return csv_path, zip_path


def _run_import(
    path: Path, nats_url: str, database_url: str
) -> tuple[float, float, dict[str, object]]:
    """Run ``leadpipe bulk-import`` as a process: (seconds, peak RSS in MB, summary)."""
    env = {
        **os.environ,
        "LEADPIPE_NATS_URL": nats_url,
        "LEADPIPE_DATABASE_URL": database_url,
        "LEADPIPE_NAMESPACE": "b" + uuid.uuid4().hex[:8],
        "LEADPIPE_LOG_LEVEL": "WARNING",
    }
    leadpipe = Path(sys.executable).with_name("leadpipe")
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(leadpipe), "bulk-import", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            rss = watched.memory_info().rss
            rss += sum(child.memory_info().rss for child in watched.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    out = process.stdout.read().decode() if process.stdout else ""
    if process.returncode != 0:
        raise RuntimeError(f"bulk-import failed ({process.returncode}): {out}")
    return seconds, peak / 1e6, json.loads(out.strip().splitlines()[-1])


def _polars(path: Path) -> tuple[float, int]:
    import polars as pl

    started = time.perf_counter()
    frame = (
        pl.scan_csv(path, infer_schema=False)
        .filter(pl.col("CompanyStatus") == STRIKE_OFF)
        .collect()
    )
    return time.perf_counter() - started, frame.height


def _pandas(path: Path, database_url: str, rows: int) -> tuple[float, int, int]:
    """pandas on (a prefix of) the file: (seconds, rows read, rows matched)."""
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg2://", 1))
    table = "pandas_" + uuid.uuid4().hex[:8]
    started = time.perf_counter()
    matched = 0
    for chunk in pd.read_csv(path, dtype=str, chunksize=100_000, nrows=rows, keep_default_na=False):
        chunk.columns = [name.strip() for name in chunk.columns]
        hits = chunk[chunk["CompanyStatus"] == STRIKE_OFF]
        matched += len(hits)
        hits.to_sql(table, engine, if_exists="append", index=False)
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds, rows, matched


async def run() -> list[Result]:
    """Run P1 and return one result per target."""
    rows = _rows()
    csv_path, zip_path = _files(rows)
    pandas_rows = min(rows, int(os.environ.get("LEADPIPE_BENCH_PANDAS_ROWS", 500_000)))
    with (
        tempfile.TemporaryDirectory() as work,
        broker(Path(work) / "nats") as nats_url,
        postgres_server(Path(work) / "pg") as database_url,
    ):
        polars_seconds, polars_matched = _polars(csv_path)
        print(f"polars filter-only scan: {polars_seconds:.1f}s, {polars_matched:,} rows matched")
        csv_seconds, csv_rss, summary = await asyncio.to_thread(
            _run_import, csv_path, nats_url, database_url
        )
        print(f"bulk-import csv: {csv_seconds:.1f}s, peak RSS {csv_rss:.0f} MB, {summary}")
        zip_seconds, zip_rss, zip_summary = await asyncio.to_thread(
            _run_import, zip_path, nats_url, database_url
        )
        print(f"bulk-import zip: {zip_seconds:.1f}s, peak RSS {zip_rss:.0f} MB, {zip_summary}")
        pandas_seconds, read, matched = _pandas(csv_path, database_url, pandas_rows)
        scaled = pandas_seconds * rows / read
        note = (
            f" (measured on the first {read:,} rows, scaled linearly to {rows:,})"
            if read < rows
            else ""
        )
        print(f"pandas read_csv + filter + to_sql: {scaled:.1f}s{note}, {matched:,} matched")
    print(
        f"P1 snapshot size: {rows:,} rows, {csv_path.stat().st_size / 1e9:.2f} GB CSV;"
        f" NATS sync_interval: {sync_mode()}"
    )
    return [
        Result(
            "P1 bulk import / polars filter-only scan",
            csv_seconds / polars_seconds,
            3.0,
            False,
            "x",
        ),
        Result("P1 pandas chunked to_sql / bulk import", scaled / csv_seconds, 8.0, True, "x"),
        Result("P1 bulk import peak RSS", max(csv_rss, zip_rss), 200.0, False, " MB"),
        Result("P1 zip / csv import time", zip_seconds / csv_seconds, 1.5, False, "x"),
    ]
