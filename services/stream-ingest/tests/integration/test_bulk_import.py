"""Bulk snapshot import on real Postgres and NATS, from files the simulator's generator writes."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Publisher
from leadpipe_db import Database
from leadpipe_simulators.companies_house import (
    pick_malformed_rows,
    write_snapshot,
    write_snapshot_parts,
)
from stream_ingest.bulk import HeaderError
from stream_ingest.cli import bulk_import
from stream_ingest.settings import Settings

from .conftest import read_messages, subject_counts

pytestmark = pytest.mark.integration

STRIKE_OFF = "Active - Proposal to Strike off"


def strike_off_numbers(path: Path) -> set[str]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        return {row[1] for row in reader if len(row) == 55 and row[11] == STRIKE_OFF}


async def test_same_snapshot_imported_twice_emits_nothing_the_second_time(
    settings: Settings, bus: tuple[NatsClient, Publisher], namespace: str, tmp_path: Path
) -> None:
    client, _ = bus
    result = write_snapshot(tmp_path, rows=4_000, seed=11, zipped=True)

    first = await bulk_import(settings, str(result.path))
    counts = await subject_counts(client, namespace)
    second = await bulk_import(settings, str(result.path))

    assert first.rows_read == 4_000
    assert first.matched == result.strike_off_count > 0
    assert first.entered == result.strike_off_count
    assert (first.left, first.rejected) == (0, 0)
    assert counts["companies.strikeoff.entered"] == result.strike_off_count
    assert counts["companies.observed"] == result.strike_off_count
    assert (second.entered, second.left) == (0, 0)
    assert second.unchanged == result.strike_off_count
    assert await subject_counts(client, namespace) == counts


async def test_bad_rows_are_quarantined_with_their_line_and_counted(
    settings: Settings, bus: tuple[NatsClient, Publisher], db: Database, tmp_path: Path
) -> None:
    malformed = pick_malformed_rows(3_000, 12, seed=5)
    result = write_snapshot(tmp_path, rows=3_000, seed=12, malformed=malformed)
    rejected_lines = {m.line for m in result.malformed_lines if m.kind != "invalid_utf8"}

    summary = await bulk_import(settings, str(result.path))

    async with db.pool.acquire() as connection:
        rows = await connection.fetch("SELECT line, reason FROM bulk_quarantine")
    assert summary.rejected == len(rejected_lines) == 8
    assert {row["line"] for row in rows} == rejected_lines
    assert all(row["reason"] for row in rows)
    assert summary.rows_read == 3_000
    # Invalid UTF-8 is replaced, not rejected: those rows still count as read and parsed.
    assert summary.matched == len(strike_off_numbers(result.path))


async def test_wrong_header_fails_with_a_message_naming_the_column(
    settings: Settings, tmp_path: Path
) -> None:
    result = write_snapshot(tmp_path, rows=10, seed=3)
    text = result.path.read_text(encoding="utf-8")
    broken = tmp_path / "BasicCompanyDataAsOneFile-2026-10-01.csv"
    broken.write_text(text.replace("CompanyStatus,", "Company Status,", 1), encoding="utf-8")

    with pytest.raises(HeaderError, match=r"column 12 should be 'CompanyStatus'"):
        await bulk_import(settings, str(broken))


async def test_parts_import_as_one_snapshot_and_absent_strike_off_companies_leave_later(
    settings: Settings, bus: tuple[NatsClient, Publisher], namespace: str, tmp_path: Path
) -> None:
    client, _ = bus
    parts = write_snapshot_parts(
        tmp_path / "nov", rows=3_000, parts=3, seed=21, as_of=dt.date(2026, 11, 1), zipped=True
    )
    first = await bulk_import(settings, str(tmp_path / "nov"))
    newer = write_snapshot(
        tmp_path / "dec", rows=1_500, seed=21, population_size=3_000, as_of=dt.date(2026, 12, 1)
    )
    before = set().union(*(strike_off_numbers_zip(p.path) for p in parts))
    after = strike_off_numbers(newer.path)

    second = await bulk_import(settings, str(newer.path))

    assert first.entered == len(before) == sum(p.strike_off_count for p in parts)
    assert second.left == len(before - after) > 0
    assert second.entered == len(after - before)
    left = await read_messages(client, namespace, "companies.strikeoff.left")
    assert {body["company_number"] for _, body in left} == before - after
    assert {body["reason"] for _, body in left} == {"absent_from_snapshot"}


def strike_off_numbers_zip(path: Path) -> set[str]:
    import io
    import zipfile

    with zipfile.ZipFile(path) as archive:
        member = archive.namelist()[0]
        with archive.open(member) as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
            next(reader)
            return {row[1] for row in reader if len(row) == 55 and row[11] == STRIKE_OFF}


def test_the_command_prints_only_the_summary_and_logs_quarantined_rows_with_their_context(
    nats_url: str, database_url: str, namespace: str, tmp_path: Path
) -> None:
    malformed = pick_malformed_rows(2_000, 6, seed=3)
    result = write_snapshot(tmp_path, rows=2_000, seed=13, malformed=malformed)
    rejected_lines = {m.line for m in result.malformed_lines if m.kind != "invalid_utf8"}
    env = {
        **os.environ,
        "LEADPIPE_NATS_URL": nats_url,
        "LEADPIPE_DATABASE_URL": database_url,
        "LEADPIPE_NAMESPACE": namespace,
    }

    done = subprocess.run(
        [str(Path(sys.executable).with_name("leadpipe")), "bulk-import", str(result.path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    summary = json.loads(done.stdout)
    assert done.stdout.count("\n") == 1
    assert summary["rejected"] == len(rejected_lines) > 0
    logs = [json.loads(line) for line in done.stderr.splitlines()]
    quarantined = [entry for entry in logs if entry["msg"] == "row quarantined"]
    assert {entry["line"] for entry in quarantined} == rejected_lines
    assert all(entry["reason"] and entry["file"] for entry in quarantined)
    assert {entry["service"] for entry in logs} == {"stream-ingest"}
    assert [entry["msg"] for entry in logs if "seconds" in entry] == [
        "snapshot loaded",
        "snapshot applied",
        "snapshot published",
    ]
