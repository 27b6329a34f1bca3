"""Postgres access of stream-ingest (its own schema): company states, positions, signals, gaps."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

import asyncpg

from stream_ingest.transitions import CompanyState

_STATE_COLUMNS = (
    "company_number, company_name, status, status_detail, raw_status, strike_off,"
    " strike_off_kind, observed_at, source, source_ref, etag, profile_hash, ended_at"
)

# Newer-or-equal observations only: the guard repeats the domain rule inside the database so a
# concurrent writer (the bulk import, the gateway handler) can never be overwritten by an older
# observation either.
_UPSERT_STATE = f"""
INSERT INTO companies ({_STATE_COLUMNS})
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (company_number) DO UPDATE SET
    company_name = excluded.company_name, status = excluded.status,
    status_detail = excluded.status_detail, raw_status = excluded.raw_status,
    strike_off = excluded.strike_off, strike_off_kind = excluded.strike_off_kind,
    observed_at = excluded.observed_at, source = excluded.source,
    source_ref = excluded.source_ref, etag = excluded.etag,
    profile_hash = excluded.profile_hash, ended_at = excluded.ended_at, updated_at = now()
WHERE companies.observed_at <= excluded.observed_at
"""  # noqa: S608 - constant column list


@dataclasses.dataclass(frozen=True)
class Signal:
    """A company's filing signals (row of ``signals``).

    Attributes:
        kind: Strike-off kind announced by a filing (``voluntary``/``compulsory``).
        signal: The latest signal (``application``, ``proposal``, ``recheck``).
        check_due_at: When a profile check through the gateway is due (None: none pending).
        requested_at: When the last profile check was requested.
    """

    company_number: str
    kind: str | None
    signal: str
    observed_at: dt.datetime
    check_due_at: dt.datetime | None = None
    requested_at: dt.datetime | None = None
    request_id: str | None = None
    priority: str | None = None


def _state(row: asyncpg.Record) -> CompanyState:
    return CompanyState(**dict(row))


async def load_states(
    connection: asyncpg.Connection, numbers: Iterable[str]
) -> dict[str, CompanyState]:
    """The stored states of the given companies (absent ones are missing from the result)."""
    rows = await connection.fetch(
        f"SELECT {_STATE_COLUMNS} FROM companies WHERE company_number = ANY($1::text[])",  # noqa: S608
        list(numbers),
    )
    return {row["company_number"]: _state(row) for row in rows}


async def save_states(connection: asyncpg.Connection, states: Iterable[CompanyState]) -> None:
    """Upsert states (newer-or-equal observations win)."""
    await connection.executemany(
        _UPSERT_STATE,
        [
            (
                s.company_number,
                s.company_name,
                s.status,
                s.status_detail,
                s.raw_status,
                s.strike_off,
                s.strike_off_kind,
                s.observed_at,
                s.source,
                s.source_ref,
                s.etag,
                s.profile_hash,
                s.ended_at,
            )
            for s in states
        ],
    )


async def load_signals(connection: asyncpg.Connection, numbers: Iterable[str]) -> dict[str, Signal]:
    """Signals of the given companies."""
    rows = await connection.fetch(
        "SELECT company_number, kind, signal, observed_at, check_due_at, requested_at,"
        " request_id, priority FROM signals WHERE company_number = ANY($1::text[])",
        list(numbers),
    )
    return {row["company_number"]: Signal(**dict(row)) for row in rows}


async def save_signals(connection: asyncpg.Connection, signals: Iterable[Signal]) -> None:
    """Upsert signals."""
    await connection.executemany(
        "INSERT INTO signals (company_number, kind, signal, observed_at, check_due_at,"
        " requested_at, request_id, priority) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (company_number) DO UPDATE SET kind = excluded.kind,"
        " signal = excluded.signal, observed_at = excluded.observed_at,"
        " check_due_at = excluded.check_due_at, requested_at = excluded.requested_at,"
        " request_id = excluded.request_id, priority = excluded.priority",
        [
            (
                s.company_number,
                s.kind,
                s.signal,
                s.observed_at,
                s.check_due_at,
                s.requested_at,
                s.request_id,
                s.priority,
            )
            for s in signals
        ],
    )


async def positions(connection: asyncpg.Connection) -> dict[str, int]:
    """The last durably published timepoint of every stream."""
    rows = await connection.fetch("SELECT stream, timepoint FROM stream_positions")
    return {row["stream"]: row["timepoint"] for row in rows}


async def save_position(connection: asyncpg.Connection, stream: str, timepoint: int) -> None:
    """Record that every event of ``stream`` up to ``timepoint`` is published."""
    await connection.execute(
        "INSERT INTO stream_positions (stream, timepoint) VALUES ($1, $2)"
        " ON CONFLICT (stream) DO UPDATE SET timepoint = excluded.timepoint, updated_at = now()",
        stream,
        timepoint,
    )


async def forget_position(connection: asyncpg.Connection, stream: str) -> None:
    """Drop a stream's position (after a 416 the stream resumes without a timepoint)."""
    await connection.execute("DELETE FROM stream_positions WHERE stream = $1", stream)


async def record_gap(connection: asyncpg.Connection, stream: str, gap_from: int | None) -> int:
    """Record a gap in a stream's history; returns its id."""
    gap_id: int = await connection.fetchval(
        "INSERT INTO stream_gaps (stream, gap_from) VALUES ($1, $2) RETURNING id", stream, gap_from
    )
    return gap_id


async def close_gap(connection: asyncpg.Connection, gap_id: int, gap_to: int) -> None:
    """Record the first timepoint seen after a gap."""
    await connection.execute("UPDATE stream_gaps SET gap_to = $2 WHERE id = $1", gap_id, gap_to)


async def strike_off_numbers_for_recheck(connection: asyncpg.Connection) -> list[str]:
    """Strike-off companies whose state a stream gap may have hidden changes of.

    Companies last observed in a snapshot are left to the next snapshot; those the stream or a
    profile fetch put in strike-off are re-checked.
    """
    rows = await connection.fetch(
        "SELECT company_number FROM companies WHERE strike_off AND source <> 'bulk'"
        " ORDER BY company_number"
    )
    return [row["company_number"] for row in rows]
