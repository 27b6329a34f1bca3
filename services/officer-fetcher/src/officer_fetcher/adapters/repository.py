"""The officer_fetcher schema: companies, officers, requests and suppressions (asyncpg).

Every function takes a connection inside the caller's transaction, so a state change and the
events it causes (written to the outbox by the caller) commit together.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence

import asyncpg
import msgspec

from leadpipe_contracts import Address, derive_id
from leadpipe_contracts.companies import StrikeOffEntered, StrikeOffLeft
from leadpipe_contracts.gateway import GatewayRequest, Priority, RequestKind
from leadpipe_contracts.officers import OfficerKind
from leadpipe_runtime import OutboxWriter
from officer_fetcher.domain import ParsedOfficer, fingerprint, name_fingerprint

REQUESTER = "officer-fetcher"
_PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2}


def priority_rank(priority: str | None) -> int:
    """Order of priorities (-1 for none)."""
    return -1 if priority is None else _PRIORITY_RANK.get(Priority(priority), -1)


async def lock_company(connection: asyncpg.Connection, number: str) -> asyncpg.Record | None:
    """The company's row, locked for the rest of the transaction."""
    row: asyncpg.Record | None = await connection.fetchrow(
        "SELECT * FROM companies WHERE company_number = $1 FOR UPDATE", number
    )
    return row


async def record_entered(
    connection: asyncpg.Connection, event: StrikeOffEntered, score: int
) -> asyncpg.Record | None:
    """Record a strike-off entry unless a later transition is already recorded.

    Returns:
        The company's row after the change, or None when the event was older than what is known.
    """
    row: asyncpg.Record | None = await connection.fetchrow(
        """
        INSERT INTO companies AS c (company_number, company_name, in_strike_off, source,
            strike_off_kind, entered_on, entered_at, transition_at, profile_etag, lead_score)
        VALUES ($1, $2, true, $3, $4, $5, $6, $6, $7, $8)
        ON CONFLICT (company_number) DO UPDATE SET
            company_name = excluded.company_name, in_strike_off = true, source = excluded.source,
            strike_off_kind = excluded.strike_off_kind, entered_on = excluded.entered_on,
            entered_at = excluded.entered_at, transition_at = excluded.transition_at,
            profile_etag = coalesce(excluded.profile_etag, c.profile_etag),
            lead_score = excluded.lead_score, left_at = NULL, left_reason = NULL
        WHERE c.transition_at <= excluded.transition_at
        RETURNING *
        """,
        event.company_number,
        event.company_name,
        str(event.source),
        str(event.kind),
        event.entered_on,
        event.observed_at,
        event.etag,
        score,
    )
    if row is not None:
        await connection.execute(
            "UPDATE officers SET is_lead = resigned_on IS NULL WHERE company_number = $1",
            event.company_number,
        )
    return row


async def record_left(connection: asyncpg.Connection, event: StrikeOffLeft) -> bool:
    """Record a strike-off exit unless a later transition is known; officers stop being leads.

    Returns:
        Whether the exit was applied.
    """
    applied = await connection.fetchval(
        """
        INSERT INTO companies AS c (company_number, in_strike_off, source, left_at, left_reason,
            transition_at)
        VALUES ($1, false, $2, $3, $4, $3)
        ON CONFLICT (company_number) DO UPDATE SET
            in_strike_off = false, left_at = excluded.left_at,
            left_reason = excluded.left_reason, transition_at = excluded.transition_at,
            fetch_state = CASE WHEN c.fetch_state = 'wanted' THEN 'idle' ELSE c.fetch_state END,
            wanted_at = NULL
        WHERE c.transition_at <= excluded.transition_at
        RETURNING true
        """,
        event.company_number,
        str(event.source),
        event.observed_at,
        str(event.reason),
    )
    if applied:
        await connection.execute(
            "UPDATE officers SET is_lead = false WHERE company_number = $1", event.company_number
        )
    return bool(applied)


async def request_officers(
    connection: asyncpg.Connection,
    outbox: OutboxWriter,
    company: asyncpg.Record,
    priority: Priority,
    now: dt.datetime,
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> str:
    """Queue an officer-list request at the gateway (through the outbox) and remember it.

    The request id is derived from the company and its request count, so a transaction retried
    after a failure produces the same id and JetStream drops the repeat.

    Returns:
        The request id.
    """
    number = company["company_number"]
    request_id = derive_id("officer_list", number, company["requests_made"] + 1)
    request = GatewayRequest(
        event_id=request_id,
        occurred_at=now,
        correlation_id=correlation_id,
        causation_id=causation_id,
        request_id=request_id,
        kind=RequestKind.OFFICER_LIST,
        priority=priority,
        requester=REQUESTER,
        company_number=number,
    )
    await outbox.add(connection, request)
    await connection.execute(
        """
        UPDATE companies SET fetch_state = 'requested', request_id = $2, request_priority = $3,
            requested_at = $4, requests_made = requests_made + 1, wanted_at = NULL
        WHERE company_number = $1
        """,
        number,
        request_id,
        str(priority),
        now,
    )
    return request_id


async def mark_wanted(connection: asyncpg.Connection, number: str, now: dt.datetime) -> None:
    """Leave a low-priority fetch to the low lane."""
    await connection.execute(
        "UPDATE companies SET fetch_state = 'wanted', wanted_at = coalesce(wanted_at, $2)"
        " WHERE company_number = $1",
        number,
        now,
    )


def _officer_row(
    number: str, position: int, officer: ParsedOfficer, lead: bool
) -> tuple[object, ...]:
    address = msgspec.json.encode(officer.address).decode() if officer.address else None
    identification = json.dumps(officer.identification) if officer.identification else None
    return (
        number,
        officer.appointment_key,
        position,
        officer.officer_id,
        officer.appointment_id,
        officer.name,
        str(officer.kind),
        officer.role,
        officer.surname,
        officer.forenames,
        officer.title,
        officer.appointed_on,
        officer.appointed_before,
        officer.resigned_on,
        officer.birth_month,
        officer.birth_year,
        officer.nationality,
        officer.occupation,
        officer.country_of_residence,
        address,
        identification,
        lead and officer.active,
    )


async def replace_officers(
    connection: asyncpg.Connection,
    number: str,
    officers: Sequence[ParsedOfficer],
    *,
    leads: bool,
) -> None:
    """Make the stored officers of a company exactly ``officers``."""
    await connection.execute("DELETE FROM officers WHERE company_number = $1", number)
    if not officers:
        return
    await connection.executemany(
        """
        INSERT INTO officers (company_number, appointment_key, position, officer_id,
            appointment_id, name, kind, role, surname, forenames, title, appointed_on,
            appointed_before, resigned_on, birth_month, birth_year, nationality, occupation,
            country_of_residence, address, identification, is_lead)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
            $18, $19, $20::jsonb, $21::jsonb, $22)
        """,
        [_officer_row(number, i, officer, leads) for i, officer in enumerate(officers)],
    )


async def suppressed(
    connection: asyncpg.Connection, number: str, officers: Iterable[ParsedOfficer]
) -> set[str]:
    """Appointment keys of officers an erasure request suppressed (for this company)."""
    rows = await connection.fetch(
        "SELECT officer_hash, name_hash FROM suppressions"
        " WHERE company_number IS NULL OR company_number = $1",
        number,
    )
    if not rows:
        return set()
    officer_hashes = {row["officer_hash"] for row in rows if row["officer_hash"]}
    name_hashes = {row["name_hash"] for row in rows if row["name_hash"]}
    return {
        officer.appointment_key
        for officer in officers
        if (officer.officer_id and fingerprint(officer.officer_id) in officer_hashes)
        or (officer.name and name_fingerprint(officer.name) in name_hashes)
    }


async def add_suppression(
    connection: asyncpg.Connection,
    request_id: str,
    *,
    officer_id: str | None,
    name: str | None,
    company_number: str | None,
) -> None:
    """Remember (as hashes) a person not to store again."""
    if not officer_id and not name:
        return
    await connection.execute(
        "INSERT INTO suppressions (request_id, officer_hash, name_hash, company_number)"
        " VALUES ($1, $2, $3, $4)",
        request_id,
        fingerprint(officer_id) if officer_id else None,
        name_fingerprint(name) if name else None,
        company_number,
    )


async def remove_suppressions(connection: asyncpg.Connection, request_id: str) -> int:
    """Forget what one erasure request suppressed; returns how many entries went."""
    status: str = await connection.execute(
        "DELETE FROM suppressions WHERE request_id = $1", request_id
    )
    return int(status.split()[-1])


async def finish_backfill_items(
    connection: asyncpg.Connection, number: str, outcome: str, now: dt.datetime
) -> int:
    """Mark the queued backfill items of a company done; returns how many."""
    result: str = await connection.execute(
        "UPDATE backfill_items SET done_at = $2, outcome = $3"
        " WHERE company_number = $1 AND queued_at IS NOT NULL AND done_at IS NULL",
        number,
        now,
        outcome,
    )
    return int(result.split()[-1])


def officer_from_row(row: asyncpg.Record) -> ParsedOfficer:
    """A stored officer, back in the shape it was parsed into."""
    address = row["address"]
    identification = row["identification"]
    return ParsedOfficer(
        appointment_key=row["appointment_key"],
        officer_id=row["officer_id"],
        appointment_id=row["appointment_id"],
        name=row["name"],
        kind=OfficerKind(row["kind"]),
        role=row["role"],
        surname=row["surname"],
        forenames=row["forenames"],
        title=row["title"],
        appointed_on=row["appointed_on"],
        appointed_before=row["appointed_before"],
        resigned_on=row["resigned_on"],
        birth_month=row["birth_month"],
        birth_year=row["birth_year"],
        nationality=row["nationality"],
        occupation=row["occupation"],
        country_of_residence=row["country_of_residence"],
        address=msgspec.json.decode(address, type=Address) if address else None,
        identification=json.loads(identification) if identification else None,
    )
