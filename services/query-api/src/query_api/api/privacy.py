"""Privacy endpoints: data-subject access, erasure with per-service completion, suppression.

Erasure requests are kept by fingerprints of the identifiers they were given, never the
identifiers: an administrator finds a request by giving the identifiers again.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadpipe_contracts import utcnow
from leadpipe_contracts.privacy import PrivacyErasureRequested, PrivacySuppressionLifted
from query_api import domain
from query_api.api.deps import ERRORS, Admin, ApiError, State
from query_api.api.responses import Json, ok
from query_api.projections import person_fingerprints

router = APIRouter(prefix="/api/v1/privacy", tags=["privacy"], responses=ERRORS)

OfficerId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
CompanyNumber = Annotated[str, Field(pattern=r"^[A-Z0-9]{8}$")]
Email = Annotated[
    str, Field(max_length=320, pattern=r"^[^@\s\x00]{1,64}@[^@\s\x00]+\.[^@\s\x00]+$")
]
PersonName = Annotated[str, Field(min_length=3, max_length=200, pattern=r"^[^\x00-\x1f]+$")]


class Person(BaseModel):
    """Identifiers of one person; at least one of officer id, e-mail or name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    officer_id: OfficerId | None = None
    email: Email | None = None
    name: PersonName | None = None
    company_number: CompanyNumber | None = None

    @model_validator(mode="after")
    def _identified(self) -> Person:
        if not (self.officer_id or self.email or domain.name_key(self.name)):
            raise ValueError("give at least an officer_id, an email or a name")
        return self


class PersonFilter(BaseModel):
    """Optional identifiers to narrow a list of erasure requests to one person."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    officer_id: OfficerId | None = None
    email: Email | None = None
    name: PersonName | None = None


def erasure_services(state: State) -> list[str]:
    """Services expected to confirm an erasure: every one with a privacy consumer, and us."""
    found = {spec.service for spec in state.topology.consumers if spec.name == "privacy"}
    return sorted(found | {"query-api"})


def lift_services(state: State) -> list[str]:
    """Services that enforce suppression and confirm its lifting, and us."""
    found = {spec.service for spec in state.topology.consumers if spec.name == "privacy-lifts"}
    return sorted(found | {"query-api"})


def _fingerprints(officer_id: str | None, email: str | None, name: str | None) -> list[str | None]:
    hashes = person_fingerprints(officer_id=officer_id, email=email, name_key=domain.name_key(name))
    return [hashes["officer_hash"], hashes["email_hash"], hashes["name_hash"]]


@router.get("/subject", response_class=Json)
async def subject_access(_: Admin, state: State, person: Annotated[Person, Query()]) -> Json:
    """Everything the read model holds about a person: officer records, contacts, feed, erasures."""
    key = domain.name_key(person.name)
    email = person.email.lower() if person.email else None
    async with state.db.pool.acquire() as connection:
        officers = await connection.fetch(
            "SELECT company_number, officer_id, appointment_id, name, kind, role, surname,"
            " forenames, title, appointed_on, resigned_on, birth_month, birth_year, nationality,"
            " occupation, country_of_residence, address FROM officers"
            " WHERE ($1::text IS NOT NULL AND officer_id = $1)"
            " OR ($2::text IS NOT NULL AND name_key = $2"
            "     AND ($3::text IS NULL OR company_number = $3))"
            " ORDER BY company_number, position",
            person.officer_id,
            key,
            person.company_number,
        )
        contacts = await connection.fetch(
            "SELECT contact_key, company_number, officer_id, first_name, last_name, role, email,"
            " smtp_status, confidence, found_at, crm_contact_id, sync_state FROM contacts"
            " WHERE found AND (($1::text IS NOT NULL AND officer_id = $1)"
            " OR ($2::text IS NOT NULL AND name_key = $2"
            "     AND ($3::text IS NULL OR company_number = $3))"
            " OR ($4::text IS NOT NULL AND lower(email) = $4)) ORDER BY contact_key",
            person.officer_id,
            key,
            person.company_number,
            email,
        )
        keys = [row["contact_key"] for row in contacts]
        feed = await connection.fetch(
            "SELECT seq, kind, occurred_at, payload FROM feed WHERE kind = 'lead.new' AND ("
            " ($1::text IS NOT NULL AND payload->>'officer_id' = $1)"
            " OR ($2::text IS NOT NULL AND lower(payload->>'email') = $2)"
            " OR payload->>'contact_key' = ANY($3::text[])) ORDER BY seq",
            person.officer_id,
            email,
            keys,
        )
        erasures = await connection.fetch(
            "SELECT request_id, requested_by, requested_at, lifted_at FROM erasure_requests"
            " WHERE ($1::text IS NOT NULL AND officer_hash = $1)"
            " OR ($2::text IS NOT NULL AND email_hash = $2)"
            " OR ($3::text IS NOT NULL AND name_hash = $3) ORDER BY requested_at",
            *_fingerprints(person.officer_id, person.email, person.name),
        )
    return ok(
        {
            "person": person.model_dump(exclude_none=True),
            "officer_records": [_with_address(row) for row in officers],
            "contacts": [dict(row) for row in contacts],
            "feed_entries": [{**dict(row), "payload": json.loads(row["payload"])} for row in feed],
            "erasure_requests": [dict(row) for row in erasures],
            "retention_days": state.settings.retention_days,
        }
    )


def _with_address(row: Any) -> dict[str, Any]:
    found = dict(row)
    found["address"] = json.loads(found["address"]) if found["address"] else None
    return found


@router.post("/erasures", response_class=Json, status_code=202)
async def request_erasure(principal: Admin, state: State, person: Person) -> Json:
    """Erase a person everywhere and suppress them: ``PrivacyErasureRequested`` to every service.

    The read model erases the person when its projection receives the request; each service
    reports ``PrivacyErasureCompleted``, tracked under ``GET /privacy/erasures/{request_id}``.
    """
    request_id = str(uuid.uuid4())
    event = PrivacyErasureRequested(
        event_id=f"privacy:{request_id}",
        occurred_at=utcnow(),
        request_id=request_id,
        officer_id=person.officer_id,
        email=person.email,
        name=person.name,
        company_number=person.company_number,
        requested_by=principal.subject,
    )
    async with state.db.transaction() as connection:
        await state.outbox.add(connection, event)
    return ok({"request_id": request_id, "services": erasure_services(state)}, 202)


async def _erasure_status(
    state: State, request_id: str | None, person: PersonFilter | None = None
) -> list[dict[str, Any]]:
    services, lifters = erasure_services(state), lift_services(state)
    hashes = _fingerprints(person.officer_id, person.email, person.name) if person else []
    requests = await state.db.pool.fetch(
        "SELECT request_id, identifiers, company_number, requested_by, requested_at, lifted_at,"
        " lifted_by FROM erasure_requests WHERE ($4::text IS NULL OR request_id = $4)"
        " AND ($5::boolean IS NOT TRUE OR ($1::text IS NOT NULL AND officer_hash = $1)"
        " OR ($2::text IS NOT NULL AND email_hash = $2)"
        " OR ($3::text IS NOT NULL AND name_hash = $3))"
        " ORDER BY requested_at DESC, request_id LIMIT 500",
        *(hashes or [None, None, None]),
        request_id,
        person is not None,
    )
    ids = [row["request_id"] for row in requests]
    completions = await state.db.pool.fetch(
        "SELECT request_id, service, records_erased, completed_at FROM erasure_completions"
        " WHERE request_id = ANY($1::text[])",
        ids,
    )
    lifts = await state.db.pool.fetch(
        "SELECT request_id, service, suppressions_removed, completed_at"
        " FROM suppression_lift_completions WHERE request_id = ANY($1::text[])",
        ids,
    )
    done: dict[str, dict[str, Any]] = {}
    for row in completions:
        done.setdefault(row["request_id"], {})[row["service"]] = {
            "records_erased": row["records_erased"],
            "completed_at": row["completed_at"],
        }
    lifted: dict[str, dict[str, Any]] = {}
    for row in lifts:
        lifted.setdefault(row["request_id"], {})[row["service"]] = {
            "suppressions_removed": row["suppressions_removed"],
            "completed_at": row["completed_at"],
        }
    result = []
    for row in requests:
        per_service = done.get(row["request_id"], {})
        item = {
            **dict(row),
            "suppressed": row["lifted_at"] is None,
            "services": {name: per_service.get(name) for name in services},
            "complete": all(name in per_service for name in services),
        }
        if row["lifted_at"] is not None:
            per_lifter = lifted.get(row["request_id"], {})
            item["lift"] = {
                "services": {name: per_lifter.get(name) for name in lifters},
                "complete": all(name in per_lifter for name in lifters),
            }
        result.append(item)
    return result


@router.get("/erasures", response_class=Json)
async def erasures(_: Admin, state: State, person: Annotated[PersonFilter, Query()]) -> Json:
    """Erasure requests with each service's completion (newest first).

    Give an officer id, e-mail or name to see only the requests that named them.
    """
    narrowed = person if (person.officer_id or person.email or person.name) else None
    return ok({"items": await _erasure_status(state, None, narrowed)})


@router.get("/erasures/{request_id}", response_class=Json)
async def erasure(
    _: Admin,
    state: State,
    request_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$")],
) -> Json:
    """One erasure request, which services have completed it, and any lifting of it."""
    found = await _erasure_status(state, request_id)
    if not found:
        raise ApiError(404, "not_found", "no such erasure request (it may still be on its way)")
    return ok(found[0])


@router.get("/suppressions", response_class=Json)
async def suppressions(_: Admin, state: State, person: Annotated[PersonFilter, Query()]) -> Json:
    """People suppressed from enrichment and CRM sync: erasure requests not lifted.

    Every erasure suppresses its person (``POST /privacy/erasures``); each service keeps its
    own list, by fingerprints. Give an officer id, e-mail or name to check one person.
    """
    hashes = _fingerprints(person.officer_id, person.email, person.name)
    rows = await state.db.pool.fetch(
        "SELECT request_id, identifiers, company_number, requested_by, requested_at"
        " FROM erasure_requests WHERE lifted_at IS NULL"
        " AND (($1::text IS NULL AND $2::text IS NULL AND $3::text IS NULL)"
        " OR ($1::text IS NOT NULL AND officer_hash = $1)"
        " OR ($2::text IS NOT NULL AND email_hash = $2)"
        " OR ($3::text IS NOT NULL AND name_hash = $3))"
        " ORDER BY requested_at DESC, request_id",
        *hashes,
    )
    return ok({"items": [dict(row) for row in rows]})


@router.delete(
    "/suppressions/{request_id}",
    response_class=Json,
    status_code=202,
    responses={
        404: {"description": "No such erasure request."},
        409: {"description": "The erasure has not completed at every service yet."},
    },
)
async def lift_suppression(
    principal: Admin,
    state: State,
    request_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$")],
) -> Json:
    """Lift the suppression an erasure request set: ``PrivacySuppressionLifted`` to every
    service that enforces suppression.

    The person may be enriched and synced again from the next fact about them; nothing erased
    comes back. Allowed once every service has completed the erasure, so that no service can
    apply the erasure (and its suppression) after the lift. Each service's confirmation is
    tracked under ``GET /privacy/erasures/{request_id}`` (``lift``).
    """
    found = await _erasure_status(state, request_id)
    if not found:
        raise ApiError(404, "not_found", "no such erasure request (it may still be on its way)")
    if not found[0]["complete"]:
        raise ApiError(409, "erasure_in_progress", "the erasure has not completed everywhere yet")
    event = PrivacySuppressionLifted(
        # One lift per request: a repeated call is the same message, dropped as a duplicate.
        event_id=f"privacy-lift:{request_id}",
        occurred_at=utcnow(),
        request_id=request_id,
        lifted_by=principal.subject,
    )
    async with state.db.transaction() as connection:
        await state.outbox.add(connection, event)
    return ok({"request_id": request_id, "services": lift_services(state)}, 202)


@router.get("/retention", response_class=Json)
async def retention(_: Admin, state: State) -> Json:
    """The retention period of personal data of companies that left strike-off."""
    return ok(
        {
            "retention_days": state.settings.retention_days,
            "applies_to": "officers and contacts of companies that left strike-off",
            "enforced_by": "officer-fetcher (publishes OfficersPurged; the read model follows)",
        }
    )
