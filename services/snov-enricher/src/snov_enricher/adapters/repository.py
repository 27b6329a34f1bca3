"""Postgres state of snov-enricher: companies, directors, the two paid-result caches, contacts
and suppressions. Every function runs inside the caller's transaction and returns the events the
change causes, for the caller to put in the outbox with it.

The chain per company: ``waiting`` (no director known) → ``pending`` (its normalised name is in
``domain_lookups``) → ``found`` / ``none``. A found domain queues one ``email_lookups`` row per
director (person + domain); a finished e-mail lookup makes a ``ContactFound`` per director whose
best address qualifies. A cache row, once resolved, answers every later company or director with
the same key without another search. When a company's facts change after its contacts were
found, ``refresh_contacts`` publishes those contacts again with the new facts (no search).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import asyncpg
import msgspec

from leadpipe_contracts import Address, Event
from leadpipe_contracts.enrichment import ContactFound
from leadpipe_contracts.officers import Officer, OfficerKind
from leadpipe_runtime.privacy import fingerprint
from leadpipe_runtime.tracing import current_traceparent
from snov_enricher import events
from snov_enricher.names import (
    domain_confidence,
    normalise_company_name,
    person_key,
    split_officer_name,
)
from snov_enricher.republish import Published, next_publication, summary_fingerprint
from snov_enricher.results import EmailCandidate, best_email
from snov_enricher.score import LeadFacts, lead_score

DIRECTOR_ROLES = frozenset({"director", "nominee-director"})
_address_encoder = msgspec.json.Encoder()


def name_tokens(text: str) -> frozenset[str]:
    """Lower-case words of a person's name, for matching erasure requests."""
    return frozenset(re.findall(r"[a-z]+", text.lower()))


async def is_suppressed_company(connection: asyncpg.Connection, number: str) -> bool:
    """Whether a company was erased from enrichment."""
    return bool(
        await connection.fetchval(
            "SELECT true FROM suppressions WHERE kind = 'company' AND value = $1", number
        )
    )


async def _suppressed_people(
    connection: asyncpg.Connection, number: str
) -> tuple[set[str], set[str]]:
    """Fingerprints of suppressed officer ids, and of suppressed names in this company."""
    rows = await connection.fetch(
        "SELECT kind, value FROM suppressions WHERE kind IN ('officer_id', 'person')"
    )
    ids = {r["value"] for r in rows if r["kind"] == "officer_id"}
    names: set[str] = set()
    for row in rows:
        if row["kind"] == "person":
            scope, _, name = row["value"].partition("|")
            if scope in ("*", number):
                names.add(name)
    return ids, names


def name_fingerprint(text: str) -> str:
    """The fingerprint of a name's words, independent of order, case and punctuation."""
    return fingerprint(" ".join(sorted(name_tokens(text))))


def _person_suppressed(first: str, last: str, names: set[str]) -> bool:
    return bool(names) and name_fingerprint(f"{first} {last}") in names


async def ensure_company(connection: asyncpg.Connection, number: str, name: str | None) -> None:
    """Create the company row if needed and keep its newest known name."""
    await connection.execute(
        "INSERT INTO companies (company_number, company_name, normalised_name)"
        " VALUES ($1, $2, $3)"
        " ON CONFLICT (company_number) DO UPDATE SET"
        " company_name = coalesce(EXCLUDED.company_name, companies.company_name),"
        " normalised_name = coalesce(EXCLUDED.normalised_name, companies.normalised_name),"
        " updated_at = now()",
        number,
        name,
        normalise_company_name(name) if name else None,
    )


async def company_exists(connection: asyncpg.Connection, number: str) -> bool:
    """Whether the company is tracked."""
    return bool(
        await connection.fetchval("SELECT true FROM companies WHERE company_number = $1", number)
    )


async def update_facts(
    connection: asyncpg.Connection,
    number: str,
    *,
    sic_codes: Sequence[str],
    date_of_creation: dt.date | None,
    accounts_category: str | None,
    accounts_overdue: bool | None,
    address: Address | None,
) -> None:
    """Store the profile facts the lead score and contacts use."""
    await connection.execute(
        "UPDATE companies SET sic_codes = $2, date_of_creation = $3, accounts_category = $4,"
        " accounts_overdue = $5, address = $6::jsonb, postal_code = $7, updated_at = now()"
        " WHERE company_number = $1",
        number,
        list(sic_codes),
        date_of_creation,
        accounts_category,
        accounts_overdue,
        _address_encoder.encode(address).decode() if address else None,
        address.postal_code if address else None,
    )


async def set_strike_off(
    connection: asyncpg.Connection,
    number: str,
    *,
    active: bool,
    kind: str | None = None,
    entered_on: dt.date | None = None,
) -> None:
    """Record entering (with kind and date) or leaving proposal to strike off.

    An entry of unknown kind keeps a kind already known while the company is in strike-off:
    that kind was identified for this strike-off (``StrikeOffKindIdentified`` handled first).
    """
    await connection.execute(
        "UPDATE companies SET in_strike_off = $2,"
        " strike_off_kind = CASE WHEN $3::text IS NULL THEN strike_off_kind"
        " WHEN $3 = 'unknown' AND in_strike_off AND strike_off_kind IS NOT NULL"
        " THEN strike_off_kind ELSE $3 END,"
        " strike_off_entered_on = coalesce($4, strike_off_entered_on), updated_at = now()"
        " WHERE company_number = $1",
        number,
        active,
        kind,
        entered_on,
    )


async def identify_strike_off_kind(connection: asyncpg.Connection, number: str, kind: str) -> bool:
    """Store the kind of the company's strike-off in progress if it was not known yet.

    Returns:
        Whether the stored kind changed (a company that left strike-off keeps what it had).
    """
    status: str = await connection.execute(
        "UPDATE companies SET strike_off_kind = $2, updated_at = now()"
        " WHERE company_number = $1 AND in_strike_off"
        " AND coalesce(strike_off_kind, 'unknown') = 'unknown' AND $2 <> 'unknown'",
        number,
        kind,
    )
    return status != "UPDATE 0"


async def replace_directors(
    connection: asyncpg.Connection, number: str, officers: Sequence[Officer]
) -> int:
    """Keep the active individual directors, minus suppressed people; returns how many."""
    ids, names = await _suppressed_people(connection, number)
    keep: dict[str, tuple[str | None, str, str, str]] = {}
    for officer in officers:
        if officer.kind is not OfficerKind.INDIVIDUAL or officer.resigned_on is not None:
            continue
        if officer.role.strip().lower() not in DIRECTOR_ROLES:
            continue
        parsed = split_officer_name(officer.name, officer.forenames, officer.surname)
        if parsed is None:
            continue
        first, last = parsed
        if (officer.officer_id and fingerprint(officer.officer_id) in ids) or _person_suppressed(
            first, last, names
        ):
            continue
        key = officer.officer_id or officer.appointment_id or f"name:{first} {last}".lower()
        keep[key] = (officer.officer_id, first, last, officer.role)
    await connection.execute(
        "DELETE FROM officers WHERE company_number = $1 AND NOT (officer_key = ANY($2::text[]))",
        number,
        list(keep),
    )
    for key, (officer_id, first, last, role) in keep.items():
        await connection.execute(
            "INSERT INTO officers (company_number, officer_key, officer_id, first_name,"
            " last_name, role) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (company_number, officer_key) DO UPDATE SET"
            " officer_id = EXCLUDED.officer_id, role = EXCLUDED.role,"
            " lookup_key = CASE WHEN officers.first_name = EXCLUDED.first_name"
            " AND officers.last_name = EXCLUDED.last_name THEN officers.lookup_key END,"
            " first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name",
            number,
            key,
            officer_id,
            first,
            last,
            role,
        )
    await connection.execute(
        "UPDATE companies SET director_count = $2 WHERE company_number = $1", number, len(keep)
    )
    return len(keep)


async def rescore(connection: asyncpg.Connection, number: str, today: dt.date) -> None:
    """Recompute the company's lead score from its current facts."""
    row = await connection.fetchrow("SELECT * FROM companies WHERE company_number = $1", number)
    if row is None:
        return
    facts = LeadFacts(
        sic_codes=tuple(row["sic_codes"] or ()),
        accounts_category=row["accounts_category"],
        accounts_overdue=row["accounts_overdue"],
        date_of_creation=row["date_of_creation"],
        director_count=row["director_count"],
        strike_off_kind=row["strike_off_kind"],
        postal_code=row["postal_code"],
    )
    await connection.execute(
        "UPDATE companies SET lead_score = $2 WHERE company_number = $1",
        number,
        lead_score(facts, today),
    )


async def advance(
    connection: asyncpg.Connection, number: str, now: dt.datetime, include_unknown: bool
) -> list[Event]:
    """Move a company along the chain as far as known facts allow, without any search.

    Queues its domain search when it has a director, answers it from the cache when the name
    was searched before, queues e-mail searches for directors once a domain is known, and
    answers those from the cache too.
    """
    company = await connection.fetchrow("SELECT * FROM companies WHERE company_number = $1", number)
    if company is None or not company["in_strike_off"] or not company["normalised_name"]:
        return []
    if await is_suppressed_company(connection, number):
        return []
    produced: list[Event] = []
    if company["domain_state"] == "waiting" and company["director_count"] > 0:
        await connection.execute(
            "INSERT INTO domain_lookups (normalised_name, query_name, state, queued_at,"
            " traceparent) VALUES ($1, $2, 'pending', $3, $4)"
            " ON CONFLICT (normalised_name) DO NOTHING",
            company["normalised_name"],
            company["company_name"] or company["normalised_name"],
            now,
            current_traceparent(),
        )
        await connection.execute(
            "UPDATE companies SET domain_state = 'pending', queued_at = $2"
            " WHERE company_number = $1",
            number,
            now,
        )
    lookup = await connection.fetchrow(
        "SELECT state, domain FROM domain_lookups WHERE normalised_name = $1",
        company["normalised_name"],
    )
    if lookup is not None and lookup["state"] in ("found", "none"):
        produced += await _resolve_companies(
            connection, company["normalised_name"], lookup["domain"], now, include_unknown
        )
    company = await connection.fetchrow("SELECT * FROM companies WHERE company_number = $1", number)
    if company["domain_state"] == "found":
        produced += await _queue_emails(connection, company, now, include_unknown)
    return produced


async def _resolve_companies(
    connection: asyncpg.Connection,
    normalised_name: str,
    domain: str | None,
    now: dt.datetime,
    include_unknown: bool,
) -> list[Event]:
    rows = await connection.fetch(
        "UPDATE companies SET domain_state = $2, domain = $3, domain_confidence = $4,"
        " updated_at = now() WHERE normalised_name = $1 AND domain_state = 'pending'"
        " AND in_strike_off RETURNING *",
        normalised_name,
        "found" if domain else "none",
        domain,
        domain_confidence(normalised_name, domain) if domain else None,
    )
    produced: list[Event] = []
    for company in rows:
        produced.append(events.domain_resolved(company, now, None))
        if domain:
            produced += await _queue_emails(connection, company, now, include_unknown)
    return produced


async def _queue_emails(
    connection: asyncpg.Connection, company: Any, now: dt.datetime, include_unknown: bool
) -> list[Event]:
    officers = await connection.fetch(
        "SELECT * FROM officers WHERE company_number = $1 AND lookup_key IS NULL",
        company["company_number"],
    )
    produced: list[Event] = []
    for officer in officers:
        key = person_key(officer["first_name"], officer["last_name"], company["domain"])
        await connection.execute(
            "INSERT INTO email_lookups (lookup_key, first_name, last_name, domain, state,"
            " queued_at, traceparent) VALUES ($1, $2, $3, $4, 'pending', $5, $6)"
            " ON CONFLICT (lookup_key) DO NOTHING",
            key,
            officer["first_name"],
            officer["last_name"],
            company["domain"],
            now,
            current_traceparent(),
        )
        await connection.execute(
            "UPDATE officers SET lookup_key = $3 WHERE company_number = $1 AND officer_key = $2",
            company["company_number"],
            officer["officer_key"],
            key,
        )
        lookup = await connection.fetchrow(
            "SELECT state, candidates FROM email_lookups WHERE lookup_key = $1", key
        )
        if lookup["state"] == "done":
            produced += await _contacts_for(
                connection, key, decode_candidates(lookup["candidates"]), now, include_unknown
            )
    return produced


_candidates_decoder = msgspec.json.Decoder(list[EmailCandidate])


def decode_candidates(raw: str | None) -> tuple[EmailCandidate, ...]:
    """Candidates stored in ``email_lookups.candidates``."""
    return tuple(_candidates_decoder.decode(raw)) if raw else ()


def encode_candidates(candidates: Sequence[EmailCandidate]) -> str:
    """The JSON stored in ``email_lookups.candidates``."""
    return msgspec.json.encode(list(candidates)).decode()


async def _contacts_for(
    connection: asyncpg.Connection,
    lookup_key: str,
    candidates: tuple[EmailCandidate, ...],
    now: dt.datetime,
    include_unknown: bool,
) -> list[Event]:
    best = best_email(candidates, include_unknown)
    if best is None:
        return []
    if await connection.fetchval(
        "SELECT true FROM suppressions WHERE kind = 'email' AND value = $1",
        fingerprint(best.email.strip().lower()),
    ):
        return []
    rows = await connection.fetch(
        "SELECT o.* FROM officers o JOIN companies c USING (company_number)"
        " WHERE o.lookup_key = $1 AND c.in_strike_off AND c.domain_state = 'found'",
        lookup_key,
    )
    searched_at = await connection.fetchval(
        "SELECT resolved_at FROM email_lookups WHERE lookup_key = $1", lookup_key
    )
    produced: list[Event] = []
    for officer in rows:
        # Usually locked already (``lock_companies``); this also covers a director of another
        # company given this lookup while the result was being applied.
        company = await connection.fetchrow(
            "SELECT * FROM companies WHERE company_number = $1 FOR NO KEY UPDATE",
            officer["company_number"],
        )
        event = await _publish(connection, company, officer, best, searched_at, now)
        if event is not None:
            produced.append(event)
    return produced


async def _publish(
    connection: asyncpg.Connection,
    company: Any,
    officer: Any,
    candidate: EmailCandidate,
    searched_at: dt.datetime | None,
    now: dt.datetime,
) -> ContactFound | None:
    """Record the lead and return its ``ContactFound`` if consumers do not have this one yet.

    The caller holds the company row's lock (see ``lock_companies``), so the facts read here
    are the ones committed last and a concurrent fact change waits for this transaction.
    """
    key = events.contact_key(company["company_number"], officer["officer_key"])
    row = await connection.fetchrow(
        "SELECT email, summary_hash, revision, published_at FROM contacts"
        " WHERE contact_key = $1 FOR UPDATE",
        key,
    )
    previous = (
        Published(
            email=row["email"],
            summary_hash=row["summary_hash"],
            revision=row["revision"],
            published_at=row["published_at"],
        )
        if row is not None
        else None
    )
    summary = events.company_summary(company)
    publication = next_publication(previous, candidate.email, summary, now)
    if publication is None:
        return None
    await connection.execute(
        "INSERT INTO contacts (contact_key, company_number, officer_key, email, smtp_status,"
        " found_at, summary_hash, revision, published_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (contact_key) DO UPDATE SET email = EXCLUDED.email,"
        " smtp_status = EXCLUDED.smtp_status,"
        " found_at = CASE WHEN contacts.email IS DISTINCT FROM EXCLUDED.email"
        " THEN EXCLUDED.found_at ELSE contacts.found_at END,"
        " summary_hash = EXCLUDED.summary_hash, revision = EXCLUDED.revision,"
        " published_at = EXCLUDED.published_at",
        key,
        company["company_number"],
        officer["officer_key"],
        candidate.email,
        candidate.smtp_status,
        now,
        publication.summary_hash,
        publication.revision,
        publication.occurred_at,
    )
    return events.contact_found(
        company,
        officer,
        candidate,
        publication.occurred_at,
        searched_at=searched_at,
        summary=summary,
        revision=publication.revision,
    )


async def refresh_contacts(
    connection: asyncpg.Connection, number: str, now: dt.datetime
) -> list[Event]:
    """Publish again the company's contacts whose company summary changed since published.

    Called after the company's facts (strike-off kind and date, profile, directors, hence the
    lead score) were stored, under the company row's lock. Nothing is searched: the contact's
    e-mail comes from the ``contacts`` row and the cached result. Erased people have no
    ``contacts`` row; suppressed ones (company, officer id, name, e-mail) are skipped anyway.
    """
    if await is_suppressed_company(connection, number):
        return []
    company = await connection.fetchrow("SELECT * FROM companies WHERE company_number = $1", number)
    if company is None:
        return []
    current = summary_fingerprint(events.company_summary(company))
    rows = await connection.fetch(
        "SELECT c.email AS contact_email, c.smtp_status AS contact_smtp_status,"
        " l.candidates AS lookup_candidates, l.resolved_at AS lookup_resolved_at, o.*"
        " FROM contacts c JOIN officers o USING (company_number, officer_key)"
        " LEFT JOIN email_lookups l ON l.lookup_key = o.lookup_key AND l.state = 'done'"
        " WHERE c.company_number = $1 AND c.summary_hash IS DISTINCT FROM $2"
        " ORDER BY c.contact_key",
        number,
        current,
    )
    if not rows:
        return []
    ids, names = await _suppressed_people(connection, number)
    produced: list[Event] = []
    for row in rows:
        email: str = row["contact_email"]
        if (row["officer_id"] and fingerprint(row["officer_id"]) in ids) or _person_suppressed(
            row["first_name"], row["last_name"], names
        ):
            continue
        if await connection.fetchval(
            "SELECT true FROM suppressions WHERE kind = 'email' AND value = $1",
            fingerprint(email.strip().lower()),
        ):
            continue
        cached = [
            candidate
            for candidate in decode_candidates(row["lookup_candidates"])
            if candidate.email == email
        ]
        candidate = cached[0] if cached else EmailCandidate(email, row["contact_smtp_status"])
        searched_at = row["lookup_resolved_at"] if cached else None
        event = await _publish(connection, company, row, candidate, searched_at, now)
        if event is not None:
            produced.append(event)
    return produced


async def lock_companies(connection: asyncpg.Connection, kind: str, keys: Sequence[str]) -> None:
    """Lock the companies a Snov.io result will touch, in company-number order.

    Applying a result reads company facts into contacts while handlers change those facts:
    the lock makes them take turns, so either the contact is built from the new facts or the
    handler sees the new contact and publishes it again (``refresh_contacts``). Taking every
    lock first, in one order, keeps the worker from deadlocking with handlers, which lock
    their one company before anything else.
    """
    if kind == "domain":
        query = (
            "SELECT 1 FROM companies WHERE normalised_name = ANY($1::text[])"
            " ORDER BY company_number FOR NO KEY UPDATE"
        )
    else:
        query = (
            "SELECT 1 FROM companies WHERE company_number IN"
            " (SELECT company_number FROM officers WHERE lookup_key = ANY($1::text[]))"
            " ORDER BY company_number FOR NO KEY UPDATE"
        )
    await connection.fetch(query, list(keys))


async def apply_domain(
    connection: asyncpg.Connection,
    normalised_name: str,
    domain: str | None,
    now: dt.datetime,
    include_unknown: bool,
) -> list[Event]:
    """Store a paid domain result in the cache and resolve every company waiting on it."""
    await connection.execute(
        "UPDATE domain_lookups SET state = $2, domain = $3, resolved_at = $4"
        " WHERE normalised_name = $1",
        normalised_name,
        "found" if domain else "none",
        domain,
        now,
    )
    return await _resolve_companies(connection, normalised_name, domain, now, include_unknown)


async def apply_emails(
    connection: asyncpg.Connection,
    lookup_key: str,
    candidates: tuple[EmailCandidate, ...],
    now: dt.datetime,
    include_unknown: bool,
) -> list[Event]:
    """Store a paid e-mail result in the cache and make contacts of the directors it answers."""
    await connection.execute(
        "UPDATE email_lookups SET state = 'done', candidates = $2::jsonb, resolved_at = $3"
        " WHERE lookup_key = $1",
        lookup_key,
        encode_candidates(candidates),
        now,
    )
    return await _contacts_for(connection, lookup_key, candidates, now, include_unknown)
