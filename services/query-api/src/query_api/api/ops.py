"""Endpoints that act: tokens, jobs, manual triggers, saved searches, webhooks, the audit log."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import asyncpg
from fastapi import APIRouter, Path, Query, Request, Response, Security
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from leadpipe_contracts import utcnow
from leadpipe_contracts.gateway import GatewayRequest, Priority, RequestKind
from leadpipe_contracts.jobs import JobAction, JobCommand
from query_api import webhooks
from query_api.api.deps import (
    ERRORS,
    Admin,
    Analyst,
    ApiError,
    State,
    Viewer,
    admit,
    api_key_header,
    bearer,
    state_of,
    unauthorized,
)
from query_api.api.read import CompanyNumber
from query_api.api.responses import Json, ok
from query_api.auth import KEY_PREFIX, AuthError, Principal, issue_token
from query_api.filters import CompanyFilter

router = APIRouter(prefix="/api/v1", responses=ERRORS)
basic = HTTPBasic(auto_error=False, scheme_name="basic", description="User name and password.")

SERVICE = "query-api"


class TokenResponse(BaseModel):
    """An access token for ``Authorization: Bearer``."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int
    role: str


@router.post("/auth/token", tags=["auth"], response_model=TokenResponse)
async def token(
    request: Request,
    login: Annotated[HTTPBasicCredentials | None, Security(basic)],
    api_key: Annotated[str | None, Security(api_key_header)],
) -> TokenResponse:
    """Exchange a user's password (HTTP Basic) or an API key for a short-lived access token."""
    state = state_of(request)
    header = request.headers.get("authorization", "")
    bearer_key = header[7:].strip() if header.lower().startswith("bearer ") else ""
    try:
        if login is not None:
            principal = await state.authenticator.password(login.username, login.password)
        elif api_key or bearer_key.startswith(KEY_PREFIX):
            principal = await state.authenticator.api_key(api_key or bearer_key)
        else:
            raise AuthError("send a user's password (HTTP Basic) or an API key")
    except AuthError as exc:
        raise unauthorized(str(exc)) from exc
    admit(request, principal)
    ttl = state.settings.token_ttl_seconds
    return TokenResponse(
        access_token=issue_token(principal, state.settings.jwt_secret.reveal(), ttl),
        expires_in=ttl,
        role=str(principal.role),
    )


@router.get("/auth/me", tags=["auth"], response_class=Json)
async def me(principal: Viewer) -> Json:
    """Who the credentials belong to."""
    return ok({"subject": principal.subject, "role": principal.role, "key_id": principal.key_id})


# jobs ------------------------------------------------------------------------------------------

JobId = Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]


@router.get("/jobs", tags=["jobs"], response_class=Json)
async def jobs(
    _: Viewer,
    state: State,
    job_state: Annotated[
        Literal["queued", "running", "paused", "cancelled", "completed", "failed"] | None,
        Query(alias="state"),
    ] = None,
    service: Annotated[str | None, Query(pattern=r"^[a-z-]{1,40}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Json:
    """Imports, backfills, enrichment runs and replays with progress and ETA, newest first."""
    rows = await state.db.pool.fetch(
        "SELECT job_id, job_type, service, state, done, total, queued, failed, rate_per_second,"
        " eta_seconds, message, updated_at FROM jobs"
        " WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR service = $2)"
        " ORDER BY updated_at DESC, job_id LIMIT $3",
        job_state,
        service,
        limit,
    )
    return ok({"items": [dict(row) for row in rows]})


@router.get("/jobs/{job_id}", tags=["jobs"], response_class=Json)
async def job(_: Viewer, state: State, job_id: JobId) -> Json:
    """One job with the commands operators sent it."""
    row = await state.db.pool.fetchrow(
        "SELECT job_id, job_type, service, state, sequence, done, total, queued, failed,"
        " rate_per_second, eta_seconds, message, updated_at FROM jobs WHERE job_id = $1",
        job_id,
    )
    if row is None:
        raise ApiError(404, "not_found", f"no job {job_id}")
    commands = await state.db.pool.fetch(
        "SELECT action, requested_by, occurred_at FROM job_commands WHERE job_id = $1"
        " ORDER BY occurred_at, event_id",
        job_id,
    )
    return ok({**dict(row), "commands": [dict(command) for command in commands]})


@router.post("/jobs/{job_id}/{action}", tags=["jobs"], response_class=Json, status_code=202)
async def job_command(principal: Admin, state: State, job_id: JobId, action: JobAction) -> Json:
    """Pause, resume or cancel a job: the command goes over NATS to the service that owns it."""
    async with state.db.transaction() as connection:
        service = await connection.fetchval("SELECT service FROM jobs WHERE job_id = $1", job_id)
        if service is None:
            raise ApiError(404, "not_found", f"no job {job_id}")
        command = JobCommand(
            event_id=str(uuid.uuid4()),
            occurred_at=utcnow(),
            job_id=job_id,
            service=service,
            action=action,
            requested_by=principal.subject,
        )
        await state.outbox.add(connection, command)
    return ok({"command_id": command.event_id, "job_id": job_id, "action": action}, 202)


# manual triggers -------------------------------------------------------------------------------


async def _request(
    state: State, principal: Principal, kind: RequestKind, company_number: str
) -> Json:
    request = GatewayRequest(
        event_id=str(uuid.uuid4()),
        occurred_at=utcnow(),
        request_id=f"query-api:{uuid.uuid4()}",
        kind=kind,
        priority=Priority.NORMAL,
        requester=SERVICE,
        company_number=company_number,
    )
    async with state.db.transaction() as connection:
        await state.outbox.add(connection, request)
    return ok(
        {
            "request_id": request.request_id,
            "kind": kind,
            "priority": request.priority,
            "company_number": company_number,
            "requested_by": principal.subject,
        },
        202,
    )


@router.post(
    "/companies/{company_number}/fetch-officers",
    tags=["triggers"],
    response_class=Json,
    status_code=202,
)
async def fetch_officers(principal: Analyst, state: State, company_number: CompanyNumber) -> Json:
    """Fetch the company's officers now (normal priority through the gateway)."""
    return await _request(state, principal, RequestKind.OFFICER_LIST, company_number)


@router.post(
    "/companies/{company_number}/process", tags=["triggers"], response_class=Json, status_code=202
)
async def process_company(principal: Analyst, state: State, company_number: CompanyNumber) -> Json:
    """Re-read the company's profile now (normal priority), which re-runs its pipeline."""
    return await _request(state, principal, RequestKind.COMPANY_PROFILE, company_number)


# saved searches --------------------------------------------------------------------------------


class SavedSearchIn(BaseModel):
    """A named company filter."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")
    params: CompanyFilter


def _owner_scope(principal: Principal) -> str | None:
    return None if principal.role == "admin" else principal.subject


@router.post("/saved-searches", tags=["saved searches"], response_class=Json, status_code=201)
async def save_search(principal: Analyst, state: State, body: SavedSearchIn) -> Json:
    """Save a filter under a name (unique per owner)."""
    try:
        saved = await state.access.save_search(
            principal.subject, body.name, body.params.model_dump(mode="json", exclude_none=True)
        )
    except asyncpg.UniqueViolationError as exc:
        raise ApiError(409, "conflict", f"a saved search named {body.name!r} exists") from exc
    return ok(saved, 201)


@router.get("/saved-searches", tags=["saved searches"], response_class=Json)
async def saved_searches(principal: Viewer, state: State) -> Json:
    """The caller's saved searches (an admin sees everyone's)."""
    return ok({"items": await state.access.searches(_owner_scope(principal))})


@router.get("/saved-searches/{search_id}", tags=["saved searches"], response_class=Json)
async def saved_search(principal: Viewer, state: State, search_id: uuid.UUID) -> Json:
    """One saved search."""
    found = await state.access.search(search_id, _owner_scope(principal))
    if found is None:
        raise ApiError(404, "not_found", "no such saved search")
    return ok(found)


@router.delete(
    "/saved-searches/{search_id}", tags=["saved searches"], status_code=204, response_class=Response
)
async def delete_saved_search(principal: Analyst, state: State, search_id: uuid.UUID) -> Response:
    """Delete a saved search."""
    if not await state.access.delete_search(search_id, _owner_scope(principal)):
        raise ApiError(404, "not_found", "no such saved search")
    return Response(status_code=204)


# outbound webhooks -----------------------------------------------------------------------------


class WebhookIn(BaseModel):
    """A subscription: where to post, and which feed events."""

    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl
    events: list[Literal["strike_off.entered", "strike_off.left", "processing.error"]] = Field(
        min_length=1, max_length=3
    )


@router.post("/webhooks", tags=["webhooks"], response_class=Json, status_code=201)
async def create_webhook(principal: Admin, state: State, body: WebhookIn) -> Json:
    """Subscribe a URL; the response holds the signing secret (shown once)."""
    created = await webhooks.create_subscription(
        state.db.pool, str(body.url), list(body.events), principal.subject
    )
    return ok(created, 201)


@router.get("/webhooks", tags=["webhooks"], response_class=Json)
async def list_webhooks(_: Admin, state: State) -> Json:
    """Subscriptions with their delivery counts."""
    return ok({"items": await webhooks.list_subscriptions(state.db.pool)})


@router.delete(
    "/webhooks/{subscription_id}", tags=["webhooks"], status_code=204, response_class=Response
)
async def delete_webhook(_: Admin, state: State, subscription_id: uuid.UUID) -> Response:
    """Remove a subscription and its pending deliveries."""
    if not await webhooks.delete_subscription(state.db.pool, subscription_id):
        raise ApiError(404, "not_found", "no such subscription")
    return Response(status_code=204)


@router.get("/webhooks/{subscription_id}/deliveries", tags=["webhooks"], response_class=Json)
async def webhook_deliveries(
    _: Admin,
    state: State,
    subscription_id: uuid.UUID,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Json:
    """Recent deliveries: status, attempts, last answer."""
    return ok({"items": await webhooks.deliveries(state.db.pool, subscription_id, limit)})


# audit -----------------------------------------------------------------------------------------


@router.get("/audit", tags=["audit"], response_class=Json)
async def audit(
    _: Admin,
    state: State,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Json:
    """The audit log of mutating calls and exports, newest first."""
    items = await state.access.audit_entries(limit, before)
    return ok({"items": items, "next_before": items[-1]["id"] if len(items) == limit else None})


__all__ = ["bearer", "router"]
