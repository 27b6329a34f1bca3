"""Projections: every event the read model is built from, applied idempotently.

Each query-api consumer hands its messages here undecoded; the ``type`` tag selects the event
class, so an event type this version does not know (a newer producer) is skipped rather than
dead-lettered. Every effect runs in one transaction with an inbox claim, and every mutable row is
only overwritten by a strictly newer ``(time, event id)`` pair, which makes the read model the
same whatever order (and however often) the streams are replayed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import msgspec

from leadpipe_bus import Delivery
from leadpipe_contracts import Event, derive_id, utcnow
from leadpipe_contracts.companies import (
    CompanyObserved,
    CompanyRecheckRequested,
    StrikeOffEntered,
    StrikeOffKindIdentified,
    StrikeOffLeft,
)
from leadpipe_contracts.crm import ContactDeleted, ContactSynced, ContactSyncFailed
from leadpipe_contracts.enrichment import ContactFound, DomainResolved
from leadpipe_contracts.jobs import JobCommand, JobProgress
from leadpipe_contracts.officers import OfficersListed, OfficersPurged
from leadpipe_contracts.privacy import (
    PrivacyErasureCompleted,
    PrivacyErasureRequested,
    PrivacySuppressionLiftCompleted,
    PrivacySuppressionLifted,
)
from leadpipe_contracts.status import CreditStatus, DeadLetter, GatewayStatus, StreamStatus
from leadpipe_db import inbox
from leadpipe_runtime import OutboxWriter
from leadpipe_runtime.privacy import erase_published_events, fingerprint
from query_api import domain

log = logging.getLogger(__name__)

SERVICE = "query-api"
INBOX = "query-api-projection"
FEED_LOCK = ".feed"
PEOPLE_LOCK = ".people"


class _Tag(msgspec.Struct):
    type: str


_tag_decoder = msgspec.json.Decoder(_Tag)
_EVENTS: tuple[type[Event], ...] = (
    CompanyObserved,
    CompanyRecheckRequested,
    StrikeOffEntered,
    StrikeOffLeft,
    StrikeOffKindIdentified,
    OfficersListed,
    OfficersPurged,
    DomainResolved,
    ContactFound,
    ContactSynced,
    ContactSyncFailed,
    ContactDeleted,
    JobProgress,
    JobCommand,
    PrivacyErasureRequested,
    PrivacyErasureCompleted,
    PrivacySuppressionLifted,
    PrivacySuppressionLiftCompleted,
    StreamStatus,
    GatewayStatus,
    CreditStatus,
    DeadLetter,
)
_PEOPLE_EVENTS = (
    OfficersListed,
    OfficersPurged,
    ContactFound,
    ContactSynced,
    ContactSyncFailed,
    ContactDeleted,
    PrivacyErasureRequested,
    PrivacySuppressionLifted,
)
_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    str(cls.__struct_config__.tag): msgspec.json.Decoder(cls) for cls in _EVENTS
}


def _json(value: object) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


def _struct_json(value: msgspec.Struct | None) -> str | None:
    return None if value is None else msgspec.json.encode(value).decode()


def _date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date()


async def _ensure_company(connection: asyncpg.Connection, number: str) -> None:
    await connection.execute(
        "INSERT INTO companies (company_number) VALUES ($1) ON CONFLICT DO NOTHING", number
    )


async def _set_name(
    connection: asyncpg.Connection, number: str, name: str | None, at: dt.datetime, event: str
) -> None:
    if not name:
        return
    await connection.execute(
        "UPDATE companies SET company_name = $2, name_at = $3, name_event = $4"
        " WHERE company_number = $1 AND (name_at IS NULL OR (name_at, name_event) < ($3, $4))",
        number,
        name,
        at,
        event,
    )


async def _settle_strike_off_kind(connection: asyncpg.Connection, number: str) -> None:
    """Set ``strike_off_kind`` from the newest entry and any kind identified for it later.

    An entry that names its kind decides. One of unknown kind takes the newest identified kind
    when no exit lies between the two observations (a filing read after the profile may carry
    a slightly earlier time): a kind identified across an exit belongs to another strike-off.
    Derived from stored facts only, so the result does not depend on the order of events.
    """
    await connection.execute(
        "UPDATE companies c SET strike_off_kind = CASE"
        " WHEN h.kind IS NOT NULL AND h.kind <> 'unknown' THEN h.kind"
        " WHEN c.identified_kind IS NOT NULL AND NOT EXISTS (SELECT 1 FROM strikeoff_history l"
        "   WHERE l.company_number = c.company_number AND l.transition = 'left'"
        "   AND l.occurred_at BETWEEN least(c.kind_at, h.occurred_at)"
        "   AND greatest(c.kind_at, h.occurred_at)) THEN c.identified_kind"
        " ELSE h.kind END"
        " FROM (SELECT kind, occurred_at FROM strikeoff_history"
        "   WHERE company_number = $1 AND transition = 'entered'"
        "   ORDER BY occurred_at DESC, event_id DESC LIMIT 1) h"
        " WHERE c.company_number = $1",
        number,
    )


async def add_to_feed(
    connection: asyncpg.Connection,
    event_id: str,
    kind: str,
    company_number: str | None,
    occurred_at: dt.datetime,
    payload: dict[str, object],
) -> None:
    """Append to the live feed, serialised so that sequence order is commit order.

    Readers page by ``seq``; if two transactions could commit out of sequence order a reader
    could skip the lower one for good. The transaction-scoped lock makes feed writers take turns
    (they are few and short: transitions, new leads, errors).
    """
    await connection.execute(
        "SELECT pg_advisory_xact_lock(hashtext(current_schema() || $1))", FEED_LOCK
    )
    await connection.execute(
        "INSERT INTO feed (event_id, kind, company_number, occurred_at, payload)"
        " VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (event_id) DO NOTHING",
        event_id,
        kind,
        company_number,
        occurred_at,
        _json(payload),
    )


async def _recount_contacts(connection: asyncpg.Connection, number: str) -> None:
    await connection.execute(
        "UPDATE companies SET"
        " contact_count = (SELECT count(*) FROM contacts c"
        "   WHERE c.company_number = $1 AND c.found),"
        " synced_count = (SELECT count(*) FROM contacts c"
        "   WHERE c.company_number = $1 AND c.found AND c.sync_state = 'synced')"
        " WHERE company_number = $1",
        number,
    )


async def _recount_officers(connection: asyncpg.Connection, number: str) -> None:
    await connection.execute(
        "UPDATE companies SET"
        " officer_count = (SELECT count(*) FROM officers o WHERE o.company_number = $1),"
        " has_individual_director = EXISTS (SELECT 1 FROM officers o WHERE o.company_number = $1"
        "   AND o.kind = 'individual' AND o.role ILIKE '%director%')"
        " WHERE company_number = $1",
        number,
    )


def person_fingerprints(
    *, officer_id: str | None, email: str | None, name_key: str | None
) -> dict[str, str | None]:
    """The fingerprints an erasure request is kept and matched by (never the identifiers)."""
    return {
        "officer_hash": fingerprint(officer_id) if officer_id else None,
        "email_hash": fingerprint(email.strip().lower()) if email and email.strip() else None,
        "name_hash": fingerprint(name_key) if name_key else None,
    }


async def _erasures_for(
    connection: asyncpg.Connection,
    *,
    officer_ids: list[str],
    name_keys: list[str],
    emails: list[str],
) -> list[dict[str, str | None]]:
    """Erasure requests in force (not lifted) that may cover any of these identifiers."""
    rows = await connection.fetch(
        "SELECT officer_hash, email_hash, name_hash, company_number FROM erasure_requests"
        " WHERE lifted_at IS NULL AND (officer_hash = ANY($1::text[])"
        " OR name_hash = ANY($2::text[]) OR email_hash = ANY($3::text[]))",
        [fingerprint(officer_id) for officer_id in officer_ids],
        [fingerprint(key) for key in name_keys],
        [fingerprint(email.strip().lower()) for email in emails],
    )
    return [dict(row) for row in rows]


def covered_by_erasure(
    requests: list[dict[str, str | None]],
    *,
    officer_id: str | None,
    name_key: str | None,
    company_number: str | None,
    email: str | None,
) -> bool:
    """Whether a person (officer or contact) is covered by any of the erasure requests.

    A request matches on the officer id, on the e-mail (case-insensitively), or on the reduced
    name — limited to one company when the request names one.
    """
    person = person_fingerprints(officer_id=officer_id, email=email, name_key=name_key)
    for request in requests:
        for field in ("officer_hash", "email_hash"):
            if request[field] and request[field] == person[field]:
                return True
        if request["name_hash"] and request["name_hash"] == person["name_hash"]:
            wanted = request["company_number"]
            if not wanted or wanted == company_number:
                return True
    return False


class Projector:
    """Applies events to the read model.

    Args:
        db_transaction: Opens a transaction on the service's pool.
        outbox: Where events caused by a projection (erasure completions) are queued.
    """

    def __init__(
        self,
        db_transaction: Callable[[], Any],
        outbox: OutboxWriter,
    ) -> None:
        self._transaction = db_transaction
        self._outbox = outbox
        self._handlers: dict[type[Event], Callable[[asyncpg.Connection, Any], Awaitable[None]]] = {
            CompanyObserved: self._company_observed,
            StrikeOffEntered: self._strike_off_entered,
            StrikeOffLeft: self._strike_off_left,
            StrikeOffKindIdentified: self._strike_off_kind_identified,
            OfficersListed: self._officers_listed,
            OfficersPurged: self._officers_purged,
            DomainResolved: self._domain_resolved,
            ContactFound: self._contact_found,
            ContactSynced: self._contact_synced,
            ContactSyncFailed: self._contact_sync_failed,
            ContactDeleted: self._contact_deleted,
            JobProgress: self._job_progress,
            JobCommand: self._job_command,
            PrivacyErasureRequested: self._erasure_requested,
            PrivacyErasureCompleted: self._erasure_completed,
            PrivacySuppressionLifted: self._suppression_lifted,
            PrivacySuppressionLiftCompleted: self._lift_completed,
            StreamStatus: self._status,
            GatewayStatus: self._status,
            CreditStatus: self._status,
            DeadLetter: self._dead_letter,
        }

    async def handle(self, raw: msgspec.Raw, delivery: Delivery) -> None:
        """Consumer handler: decode by tag and apply once (skips types it does not know)."""
        data = bytes(raw)
        tag = _tag_decoder.decode(data).type
        decoder = _DECODERS.get(tag)
        if decoder is None:
            log.info("skipping event type the read model does not use", extra={"type": tag})
            return
        await self.apply(decoder.decode(data))

    async def apply(self, event: Event) -> None:
        """Apply one event in its own transaction, at most once per event id."""
        handler = self._handlers.get(type(event))
        if handler is None:
            return
        async with self._transaction() as connection:
            if isinstance(event, _PEOPLE_EVENTS):
                # Officers, contacts and erasures come from different streams, applied
                # concurrently; without taking turns an erasure and a listing of the same person
                # could each miss the other's uncommitted row and leave the person in place.
                await connection.execute(
                    "SELECT pg_advisory_xact_lock(hashtext(current_schema() || $1))", PEOPLE_LOCK
                )
            if not await inbox.claim(connection, INBOX, event.event_id):
                return
            await handler(connection, event)

    # companies -------------------------------------------------------------------------------

    async def _company_observed(self, connection: asyncpg.Connection, e: CompanyObserved) -> None:
        profile = e.profile
        address = profile.registered_office_address
        postcode = address.postal_code if address else None
        await _ensure_company(connection, profile.company_number)
        await _set_name(
            connection, profile.company_number, profile.company_name, e.observed_at, e.event_id
        )
        await connection.execute(
            "UPDATE companies SET company_status = $2, status_detail = $3, company_type = $4,"
            " address = $5::jsonb, postcode = $6, postcode_area = $7, region = $8,"
            " sic_codes = $9, sic_sections = $10, date_of_creation = $11,"
            " accounts_category = $12, accounts_overdue = $13, confirmation_overdue = $14,"
            " profile_at = $15, profile_event = $16"
            " WHERE company_number = $1"
            " AND (profile_at IS NULL OR (profile_at, profile_event) < ($15, $16))",
            profile.company_number,
            profile.status,
            profile.status_detail,
            profile.company_type,
            _struct_json(address),
            postcode,
            domain.postcode_area(postcode),
            domain.region_of(postcode),
            list(profile.sic_codes),
            domain.sic_sections(profile.sic_codes),
            profile.date_of_creation,
            profile.accounts_category,
            profile.accounts_overdue,
            profile.confirmation_statement_overdue,
            e.observed_at,
            e.event_id,
        )

    async def _strike_off_entered(
        self, connection: asyncpg.Connection, e: StrikeOffEntered
    ) -> None:
        entered_on = e.entered_on or _date(e.observed_at)
        await _ensure_company(connection, e.company_number)
        await _set_name(connection, e.company_number, e.company_name, e.observed_at, e.event_id)
        await connection.execute(
            "INSERT INTO strikeoff_history (event_id, company_number, transition, on_date, kind,"
            " source, signal, occurred_at) VALUES ($1, $2, 'entered', $3, $4, $5, $6, $7)"
            " ON CONFLICT DO NOTHING",
            e.event_id,
            e.company_number,
            entered_on,
            str(e.kind),
            str(e.source),
            e.signal,
            e.observed_at,
        )
        await connection.execute(
            "UPDATE companies SET strike_off = true, strike_off_kind = $2, strike_off_source = $3,"
            " entered_on = $4, left_on = NULL, left_reason = NULL,"
            " transition_at = $5, transition_event = $6"
            " WHERE company_number = $1"
            " AND (transition_at IS NULL OR (transition_at, transition_event) < ($5, $6))",
            e.company_number,
            str(e.kind),
            str(e.source),
            entered_on,
            e.observed_at,
            e.event_id,
        )
        await _settle_strike_off_kind(connection, e.company_number)
        await add_to_feed(
            connection,
            e.event_id,
            "strike_off.entered",
            e.company_number,
            e.observed_at,
            {
                "company_number": e.company_number,
                "company_name": e.company_name,
                "kind": str(e.kind),
                "entered_on": entered_on.isoformat(),
                "source": str(e.source),
            },
        )

    async def _strike_off_left(self, connection: asyncpg.Connection, e: StrikeOffLeft) -> None:
        left_on = _date(e.observed_at)
        await _ensure_company(connection, e.company_number)
        await connection.execute(
            "INSERT INTO strikeoff_history (event_id, company_number, transition, on_date,"
            " reason, source, occurred_at) VALUES ($1, $2, 'left', $3, $4, $5, $6)"
            " ON CONFLICT DO NOTHING",
            e.event_id,
            e.company_number,
            left_on,
            str(e.reason),
            str(e.source),
            e.observed_at,
        )
        await connection.execute(
            "UPDATE companies SET strike_off = false, left_on = $2, left_reason = $3,"
            " transition_at = $4, transition_event = $5"
            " WHERE company_number = $1"
            " AND (transition_at IS NULL OR (transition_at, transition_event) < ($4, $5))",
            e.company_number,
            left_on,
            str(e.reason),
            e.observed_at,
            e.event_id,
        )
        await _settle_strike_off_kind(connection, e.company_number)
        name = await connection.fetchval(
            "SELECT company_name FROM companies WHERE company_number = $1", e.company_number
        )
        await add_to_feed(
            connection,
            e.event_id,
            "strike_off.left",
            e.company_number,
            e.observed_at,
            {
                "company_number": e.company_number,
                "company_name": name,
                "reason": str(e.reason),
                "left_on": left_on.isoformat(),
                "source": str(e.source),
            },
        )

    async def _strike_off_kind_identified(
        self, connection: asyncpg.Connection, e: StrikeOffKindIdentified
    ) -> None:
        await _ensure_company(connection, e.company_number)
        await connection.execute(
            "UPDATE companies SET identified_kind = $2, kind_at = $3, kind_event = $4"
            " WHERE company_number = $1"
            " AND (kind_at IS NULL OR (kind_at, kind_event) < ($3, $4))",
            e.company_number,
            str(e.kind),
            e.observed_at,
            e.event_id,
        )
        await _settle_strike_off_kind(connection, e.company_number)

    # officers --------------------------------------------------------------------------------

    async def _officers_listed(self, connection: asyncpg.Connection, e: OfficersListed) -> None:
        number = e.company_number
        await _ensure_company(connection, number)
        await _set_name(connection, number, e.company_name, e.fetched_at, e.event_id)
        newer = await connection.fetchval(
            "UPDATE companies SET officers_at = $2, officers_event = $3 WHERE company_number = $1"
            " AND (officers_at IS NULL OR (officers_at, officers_event) < ($2, $3))"
            " AND (purged_at IS NULL OR purged_at < $2) RETURNING true",
            number,
            e.fetched_at,
            e.event_id,
        )
        if not newer:
            return
        await connection.execute("DELETE FROM officers WHERE company_number = $1", number)
        keys = [domain.name_key(officer.name) or "" for officer in e.officers]
        erasures = await _erasures_for(
            connection,
            officer_ids=[o.officer_id for o in e.officers if o.officer_id],
            name_keys=keys,
            emails=[],
        )
        rows = []
        for position, (officer, key) in enumerate(zip(e.officers, keys, strict=True)):
            if covered_by_erasure(
                erasures,
                officer_id=officer.officer_id,
                name_key=key,
                company_number=number,
                email=None,
            ):
                continue
            rows.append(
                (
                    number,
                    position,
                    officer.officer_id,
                    officer.appointment_id,
                    officer.name,
                    key,
                    str(officer.kind),
                    officer.role,
                    officer.surname,
                    officer.forenames,
                    officer.title,
                    officer.appointed_on,
                    officer.resigned_on,
                    officer.birth_month,
                    officer.birth_year,
                    officer.nationality,
                    officer.occupation,
                    officer.country_of_residence,
                    _struct_json(officer.address),
                )
            )
        await connection.executemany(
            "INSERT INTO officers (company_number, position, officer_id, appointment_id, name,"
            " name_key, kind, role, surname, forenames, title, appointed_on, resigned_on,"
            " birth_month, birth_year, nationality, occupation, country_of_residence, address)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,"
            " $18, $19::jsonb)",
            rows,
        )
        await _recount_officers(connection, number)

    async def _officers_purged(self, connection: asyncpg.Connection, e: OfficersPurged) -> None:
        numbers = list(e.company_numbers)
        for number in numbers:
            await _ensure_company(connection, number)
        await connection.execute(
            "UPDATE companies SET purged_at = $2 WHERE company_number = ANY($1::text[])"
            " AND (purged_at IS NULL OR purged_at < $2)",
            numbers,
            e.occurred_at,
        )
        affected = await connection.fetch(
            "DELETE FROM officers WHERE company_number = ANY($1::text[])"
            " OR officer_id = ANY($2::text[]) RETURNING company_number",
            numbers,
            list(e.officer_ids),
        )
        contacts = await connection.fetch(
            "DELETE FROM contacts WHERE (company_number = ANY($1::text[])"
            " AND found_at <= $2) OR officer_id = ANY($3::text[]) RETURNING company_number",
            numbers,
            e.occurred_at,
            list(e.officer_ids),
        )
        await connection.execute(
            "DELETE FROM feed WHERE kind = 'lead.new' AND (company_number = ANY($1::text[])"
            " OR payload->>'officer_id' = ANY($2::text[]))",
            numbers,
            list(e.officer_ids),
        )
        for number in sorted({row["company_number"] for row in [*affected, *contacts]}):
            await _recount_officers(connection, number)
            await _recount_contacts(connection, number)

    # enrichment and contacts -------------------------------------------------------------------

    async def _domain_resolved(self, connection: asyncpg.Connection, e: DomainResolved) -> None:
        await _ensure_company(connection, e.company_number)
        await _set_name(connection, e.company_number, e.company_name, e.occurred_at, e.event_id)
        await connection.execute(
            "UPDATE companies SET domain = $2, domain_found = $3, domain_at = $4,"
            " domain_event = $5 WHERE company_number = $1"
            " AND (domain_at IS NULL OR (domain_at, domain_event) < ($4, $5))",
            e.company_number,
            e.domain if e.found else None,
            e.found,
            e.occurred_at,
            e.event_id,
        )

    async def _contact_found(self, connection: asyncpg.Connection, e: ContactFound) -> None:
        company, officer = e.company, e.officer
        number = company.company_number
        await _ensure_company(connection, number)
        await _set_name(connection, number, company.company_name, e.occurred_at, e.event_id)
        if company.lead_score is not None:
            await connection.execute(
                "UPDATE companies SET lead_score = $2, score_at = $3, score_event = $4"
                " WHERE company_number = $1"
                " AND (score_at IS NULL OR (score_at, score_event) < ($3, $4))",
                number,
                company.lead_score,
                e.occurred_at,
                e.event_id,
            )
        purged_at = await connection.fetchval(
            "SELECT purged_at FROM companies WHERE company_number = $1", number
        )
        if purged_at is not None and purged_at >= e.occurred_at:
            return
        key = domain.name_key(f"{officer.first_name} {officer.last_name}")
        erasures = await _erasures_for(
            connection,
            officer_ids=[officer.officer_id] if officer.officer_id else [],
            name_keys=[key] if key else [],
            emails=[e.email],
        )
        if covered_by_erasure(
            erasures,
            officer_id=officer.officer_id,
            name_key=key,
            company_number=number,
            email=e.email,
        ):
            return
        previously_found = await connection.fetchval(
            "SELECT found FROM contacts WHERE contact_key = $1", e.contact_key
        )
        await connection.execute(
            "INSERT INTO contacts (contact_key, company_number, found, officer_id, first_name,"
            " last_name, name_key, role, email, smtp_status, unknown_status_reason, confidence,"
            " found_at, found_event)"
            " VALUES ($1, $2, true, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            " ON CONFLICT (contact_key) DO UPDATE SET company_number = EXCLUDED.company_number,"
            " found = true, officer_id = EXCLUDED.officer_id, first_name = EXCLUDED.first_name,"
            " last_name = EXCLUDED.last_name, name_key = EXCLUDED.name_key,"
            " role = EXCLUDED.role, email = EXCLUDED.email, smtp_status = EXCLUDED.smtp_status,"
            " unknown_status_reason = EXCLUDED.unknown_status_reason,"
            " confidence = EXCLUDED.confidence, found_at = EXCLUDED.found_at,"
            " found_event = EXCLUDED.found_event"
            " WHERE contacts.found_at IS NULL"
            " OR (contacts.found_at, contacts.found_event)"
            " < (EXCLUDED.found_at, EXCLUDED.found_event)",
            e.contact_key,
            number,
            officer.officer_id,
            officer.first_name,
            officer.last_name,
            key,
            officer.role,
            e.email,
            e.smtp_status,
            e.unknown_status_reason,
            e.confidence,
            e.occurred_at,
            e.event_id,
        )
        await _recount_contacts(connection, number)
        if not previously_found:
            await add_to_feed(
                connection,
                e.event_id,
                "lead.new",
                number,
                e.occurred_at,
                {
                    "company_number": number,
                    "company_name": company.company_name,
                    "contact_key": e.contact_key,
                    "officer_id": officer.officer_id,
                    "name": f"{officer.first_name} {officer.last_name}".strip(),
                    "role": officer.role,
                    "email": e.email,
                    "smtp_status": e.smtp_status,
                    "lead_score": company.lead_score,
                },
            )

    # CRM ---------------------------------------------------------------------------------------

    async def _crm_state(
        self,
        connection: asyncpg.Connection,
        e: Event,
        contact_key: str,
        company_number: str,
        *,
        state: str,
        crm_contact_id: str | None,
        error: str | None,
    ) -> None:
        await connection.execute(
            "INSERT INTO contacts (contact_key, company_number) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            contact_key,
            company_number,
        )
        await connection.execute(
            "UPDATE contacts SET sync_state = $2, crm_contact_id = $3, sync_error = $4,"
            " synced_at = CASE WHEN $2 = 'synced' THEN $5 ELSE synced_at END,"
            " crm_at = $5, crm_event = $6 WHERE contact_key = $1"
            " AND (crm_at IS NULL OR (crm_at, crm_event) < ($5, $6))",
            contact_key,
            state,
            crm_contact_id,
            error,
            e.occurred_at,
            e.event_id,
        )
        number = await connection.fetchval(
            "SELECT company_number FROM contacts WHERE contact_key = $1", contact_key
        )
        if number:
            await _recount_contacts(connection, number)

    async def _contact_synced(self, connection: asyncpg.Connection, e: ContactSynced) -> None:
        await self._crm_state(
            connection,
            e,
            e.contact_key,
            e.company_number,
            state="synced",
            crm_contact_id=e.crm_contact_id,
            error=None,
        )

    async def _contact_sync_failed(
        self, connection: asyncpg.Connection, e: ContactSyncFailed
    ) -> None:
        await self._crm_state(
            connection,
            e,
            e.contact_key,
            e.company_number,
            state="failed",
            crm_contact_id=None,
            error=e.reason,
        )
        await add_to_feed(
            connection,
            e.event_id,
            "processing.error",
            e.company_number,
            e.occurred_at,
            {
                "source": "crm-sync",
                "company_number": e.company_number,
                "contact_key": e.contact_key,
                "status_code": e.status_code,
                "reason": e.reason,
            },
        )

    async def _contact_deleted(self, connection: asyncpg.Connection, e: ContactDeleted) -> None:
        if e.reason == "erasure":
            # The read model erased the person on the request itself; recreating a row under
            # the contact key (company number and officer id) would bring an identifier back.
            gone = await connection.fetch(
                "DELETE FROM contacts WHERE contact_key = $1 RETURNING company_number",
                e.contact_key,
            )
            for number in {row["company_number"] for row in gone}:
                await _recount_contacts(connection, number)
            return
        await self._crm_state(
            connection,
            e,
            e.contact_key,
            "",
            state="deleted",
            crm_contact_id=None,
            error=None,
        )

    # jobs and status -----------------------------------------------------------------------------

    async def _job_progress(self, connection: asyncpg.Connection, e: JobProgress) -> None:
        await connection.execute(
            "INSERT INTO jobs (job_id, job_type, service, state, sequence, event_id, done, total,"
            " queued, failed, rate_per_second, eta_seconds, message, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
            " ON CONFLICT (job_id) DO UPDATE SET job_type = EXCLUDED.job_type,"
            " service = EXCLUDED.service, state = EXCLUDED.state, sequence = EXCLUDED.sequence,"
            " event_id = EXCLUDED.event_id, done = EXCLUDED.done, total = EXCLUDED.total,"
            " queued = EXCLUDED.queued, failed = EXCLUDED.failed,"
            " rate_per_second = EXCLUDED.rate_per_second, eta_seconds = EXCLUDED.eta_seconds,"
            " message = EXCLUDED.message, updated_at = EXCLUDED.updated_at"
            " WHERE (jobs.sequence, jobs.event_id) < (EXCLUDED.sequence, EXCLUDED.event_id)",
            e.job_id,
            e.job_type,
            e.service,
            str(e.state),
            e.sequence,
            e.event_id,
            e.done,
            e.total,
            e.queued,
            e.failed,
            e.rate_per_second,
            e.eta_seconds,
            e.message,
            e.occurred_at,
        )

    async def _job_command(self, connection: asyncpg.Connection, e: JobCommand) -> None:
        await connection.execute(
            "INSERT INTO job_commands (event_id, job_id, service, action, requested_by,"
            " occurred_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            e.event_id,
            e.job_id,
            e.service,
            str(e.action),
            e.requested_by,
            e.occurred_at,
        )

    async def _status(
        self, connection: asyncpg.Connection, e: StreamStatus | GatewayStatus | CreditStatus
    ) -> None:
        match e:
            case StreamStatus():
                kind, key = "stream", e.stream
            case GatewayStatus():
                kind, key = "gateway", "gateway"
            case CreditStatus():
                kind, key = "credits", e.period
        await connection.execute(
            "INSERT INTO status_snapshots (kind, key, at, event_id, payload)"
            " VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (kind, key) DO UPDATE"
            " SET at = EXCLUDED.at, event_id = EXCLUDED.event_id, payload = EXCLUDED.payload"
            " WHERE (status_snapshots.at, status_snapshots.event_id)"
            " < (EXCLUDED.at, EXCLUDED.event_id)",
            kind,
            key,
            e.occurred_at,
            e.event_id,
            msgspec.json.encode(e).decode(),
        )

    async def _dead_letter(self, connection: asyncpg.Connection, e: DeadLetter) -> None:
        await connection.execute(
            "INSERT INTO dead_letters (event_id, consumer, stream, subject, stream_sequence,"
            " deliveries, error, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT DO NOTHING",
            e.event_id,
            e.consumer,
            e.stream,
            e.subject,
            e.stream_sequence,
            e.deliveries,
            e.error,
            e.occurred_at,
        )
        await add_to_feed(
            connection,
            e.event_id,
            "processing.error",
            None,
            e.occurred_at,
            {
                "source": e.consumer,
                "subject": e.subject,
                "deliveries": e.deliveries,
                "reason": e.error,
            },
        )

    # privacy -----------------------------------------------------------------------------------

    async def _erasure_requested(
        self, connection: asyncpg.Connection, e: PrivacyErasureRequested
    ) -> None:
        key = domain.name_key(e.name)
        hashes = person_fingerprints(officer_id=e.officer_id, email=e.email, name_key=key)
        given = [
            kind
            for kind, value in (("officer_id", e.officer_id), ("email", e.email), ("name", key))
            if value
        ]
        await connection.execute(
            "INSERT INTO erasure_requests (request_id, officer_hash, email_hash, name_hash,"
            " identifiers, company_number, requested_by, requested_at, event_id)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
            e.request_id,
            hashes["officer_hash"],
            hashes["email_hash"],
            hashes["name_hash"],
            given,
            e.company_number,
            e.requested_by,
            e.occurred_at,
            e.event_id,
        )
        erased = await erase_person(
            connection,
            officer_id=e.officer_id,
            email=e.email,
            name_key=key,
            company_number=e.company_number,
        )
        # The request itself left this outbox naming the person: it was published (it is being
        # consumed), though the relay may not have recorded that yet.
        await erase_published_events(
            connection, [e.officer_id, e.email, e.name], delivered=[e.event_id]
        )
        await self._outbox.add(
            connection,
            PrivacyErasureCompleted(
                event_id=derive_id("privacy.erasure.completed", e.request_id, SERVICE),
                occurred_at=utcnow(),
                correlation_id=e.correlation_id or e.event_id,
                causation_id=e.event_id,
                request_id=e.request_id,
                service=SERVICE,
                records_erased=erased,
            ),
        )

    async def _erasure_completed(
        self, connection: asyncpg.Connection, e: PrivacyErasureCompleted
    ) -> None:
        await connection.execute(
            "INSERT INTO erasure_completions (request_id, service, records_erased, completed_at,"
            " event_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (request_id, service) DO UPDATE"
            " SET records_erased = EXCLUDED.records_erased,"
            " completed_at = EXCLUDED.completed_at, event_id = EXCLUDED.event_id"
            " WHERE (erasure_completions.completed_at, erasure_completions.event_id)"
            " > (EXCLUDED.completed_at, EXCLUDED.event_id)",
            e.request_id,
            e.service,
            e.records_erased,
            e.occurred_at,
            e.event_id,
        )

    async def _suppression_lifted(
        self, connection: asyncpg.Connection, e: PrivacySuppressionLifted
    ) -> None:
        lifted = await connection.fetchval(
            "UPDATE erasure_requests SET lifted_at = $2, lifted_by = $3, lift_event = $4"
            " WHERE request_id = $1 AND lifted_at IS NULL RETURNING true",
            e.request_id,
            e.occurred_at,
            e.lifted_by,
            e.event_id,
        )
        await self._outbox.add(
            connection,
            PrivacySuppressionLiftCompleted(
                event_id=derive_id("privacy.suppression.lift_completed", e.request_id, SERVICE),
                occurred_at=utcnow(),
                correlation_id=e.correlation_id or e.event_id,
                causation_id=e.event_id,
                request_id=e.request_id,
                service=SERVICE,
                suppressions_removed=1 if lifted else 0,
            ),
        )

    async def _lift_completed(
        self, connection: asyncpg.Connection, e: PrivacySuppressionLiftCompleted
    ) -> None:
        await connection.execute(
            "INSERT INTO suppression_lift_completions (request_id, service,"
            " suppressions_removed, completed_at, event_id) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (request_id, service) DO NOTHING",
            e.request_id,
            e.service,
            e.suppressions_removed,
            e.occurred_at,
            e.event_id,
        )


async def erase_person(
    connection: asyncpg.Connection,
    *,
    officer_id: str | None,
    email: str | None,
    name_key: str | None,
    company_number: str | None,
) -> int:
    """Delete a person's officer rows, contacts, feed entries and webhook deliveries.

    Returns how many rows went. Audit entries keep their place but lose a query string that
    names the person.
    """
    officers = await connection.fetch(
        "DELETE FROM officers WHERE ($1::text IS NOT NULL AND officer_id = $1)"
        " OR ($2::text IS NOT NULL AND name_key = $2"
        "     AND ($3::text IS NULL OR company_number = $3))"
        " RETURNING company_number, officer_id",
        officer_id,
        name_key,
        company_number,
    )
    contacts = await connection.fetch(
        "DELETE FROM contacts WHERE ($1::text IS NOT NULL AND officer_id = $1)"
        " OR ($2::text IS NOT NULL AND name_key = $2"
        "     AND ($3::text IS NULL OR company_number = $3))"
        " OR ($4::text IS NOT NULL AND lower(email) = lower($4))"
        " RETURNING company_number, contact_key, officer_id, email",
        officer_id,
        name_key,
        company_number,
        email,
    )
    officer_ids = sorted(
        {row["officer_id"] for row in [*officers, *contacts] if row["officer_id"]}
        | ({officer_id} if officer_id else set())
    )
    emails = sorted(
        {row["email"].lower() for row in contacts if row["email"]}
        | ({email.lower()} if email else set())
    )
    keys = [row["contact_key"] for row in contacts]
    # Feed payloads (new leads, sync failures) and webhook deliveries (copies of feed payloads)
    # name the person by officer id, e-mail or contact key (company number and officer id).
    mentions = (
        " (payload->>'officer_id' = ANY($1::text[])"
        " OR lower(payload->>'email') = ANY($2::text[])"
        " OR payload->>'contact_key' = ANY($3::text[])"
        " OR split_part(payload->>'contact_key', ':', 2) = ANY($1::text[]))"
    )
    feed = await connection.fetch(
        f"DELETE FROM feed WHERE {mentions} RETURNING seq",  # noqa: S608 - constant SQL
        officer_ids,
        emails,
        keys,
    )
    deliveries = await connection.fetch(
        f"DELETE FROM webhook_deliveries WHERE {mentions} RETURNING id",  # noqa: S608
        officer_ids,
        emails,
        keys,
    )
    await connection.execute(
        "UPDATE audit_log SET query = '' WHERE query <> '' AND EXISTS ("
        " SELECT 1 FROM unnest($1::text[]) AS needle"
        " WHERE strpos(replace(lower(query), '%40', '@'), needle) > 0)",
        [text.lower() for text in [*officer_ids, *emails]],
    )
    await erase_published_events(connection, [*officer_ids, *emails])
    for number in sorted({row["company_number"] for row in [*officers, *contacts]}):
        await _recount_officers(connection, number)
        await _recount_contacts(connection, number)
    return len(officers) + len(contacts) + len(feed) + len(deliveries)
