"""Postgres access of stream-ingest (its own schema): company states, positions, signals, gaps."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Final

import asyncpg
import msgspec

from stream_ingest.transitions import CompanyState

_STATE_COLUMNS = (
    "company_number, company_name, status, status_detail, raw_status, strike_off,"
    " strike_off_kind, observed_at, source, source_ref, etag, profile_hash, ended_at"
)

# Newer-or-equal observations only: the guard repeats the domain rule inside the database so a
# concurrent writer (the bulk import, the gateway handler) can never be overwritten by an older
# observation either. One statement per batch: the rows travel as one JSON array (encoded in C
# by msgspec, parsed in C by Postgres), far cheaper for this process than a parameter per value.
_UPSERT_STATES = f"""
INSERT INTO companies ({_STATE_COLUMNS})
SELECT {_STATE_COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS s(
    company_number text, company_name text, status text, status_detail text, raw_status text,
    strike_off boolean, strike_off_kind text, observed_at timestamptz, source text,
    source_ref text, etag text, profile_hash text, ended_at timestamptz)
ON CONFLICT (company_number) DO UPDATE SET
    company_name = excluded.company_name, status = excluded.status,
    status_detail = excluded.status_detail, raw_status = excluded.raw_status,
    strike_off = excluded.strike_off, strike_off_kind = excluded.strike_off_kind,
    observed_at = excluded.observed_at, source = excluded.source,
    source_ref = excluded.source_ref, etag = excluded.etag,
    profile_hash = excluded.profile_hash, ended_at = excluded.ended_at, updated_at = now()
WHERE companies.observed_at <= excluded.observed_at
"""  # noqa: S608 - constant column list
_JSON: Final = msgspec.json.Encoder()


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
    # The columns are selected in the struct's field order.
    return CompanyState(*row)


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
    """Upsert states (newer-or-equal observations win); at most one per company."""
    rows = list(states)
    if rows:
        await connection.execute(_UPSERT_STATES, _JSON.encode(rows).decode())


_SIGNAL_COLUMNS = (
    "company_number, kind, signal, observed_at, check_due_at, requested_at, request_id, priority"
)
_CURRENT = f"""
SELECT {", ".join(f"c.{column.strip()}" for column in _STATE_COLUMNS.split(","))},
    {", ".join(f"s.{column.strip()}" for column in _SIGNAL_COLUMNS.split(","))}
FROM unnest($1::text[]) AS n (company_number)
LEFT JOIN companies c ON c.company_number = n.company_number
LEFT JOIN signals s ON s.company_number = n.company_number
WHERE c.company_number IS NOT NULL OR s.company_number IS NOT NULL
"""  # noqa: S608 - constant column lists
_STATE_WIDTH: Final = len(_STATE_COLUMNS.split(","))


async def load_current(
    connection: asyncpg.Connection, numbers: Iterable[str]
) -> tuple[dict[str, CompanyState], dict[str, Signal]]:
    """The stored states and signals of the given companies, in one round trip."""
    states: dict[str, CompanyState] = {}
    signals: dict[str, Signal] = {}
    for row in await connection.fetch(_CURRENT, list(numbers)):
        values = tuple(row)
        if values[0] is not None:
            states[values[0]] = CompanyState(*values[:_STATE_WIDTH])
        if values[_STATE_WIDTH] is not None:
            signals[values[_STATE_WIDTH]] = Signal(*values[_STATE_WIDTH:])
    return states, signals


async def load_signals(connection: asyncpg.Connection, numbers: Iterable[str]) -> dict[str, Signal]:
    """Signals of the given companies."""
    rows = await connection.fetch(
        f"SELECT {_SIGNAL_COLUMNS} FROM signals WHERE company_number = ANY($1::text[])",  # noqa: S608
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
