"""Shared pieces of the HTTP layer: application state, errors, authentication and roles."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from nats.js import JetStreamContext

from leadpipe_bus import Topology
from leadpipe_db import Database
from leadpipe_runtime import HealthRegistry, OutboxWriter
from query_api.adapters.access import AccessStore
from query_api.auth import KEY_PREFIX, Authenticator, AuthError, Principal, Role, read_token
from query_api.ratelimit import RateLimiter
from query_api.settings import Settings


@dataclasses.dataclass
class AppState:
    """Everything the routes use, built by the composition root (or a test)."""

    settings: Settings
    db: Database
    outbox: OutboxWriter
    topology: Topology
    authenticator: Authenticator
    access: AccessStore
    limiter: RateLimiter
    health: HealthRegistry | None = None
    js: JetStreamContext | None = None
    stopping: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)


class ApiError(Exception):
    """An error answered as ``{"error": code, "detail": message}`` with a status."""

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}


def error_body(code: str, detail: str) -> dict[str, str]:
    """The JSON body of every error."""
    return {"error": code, "detail": detail}


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, invalid or expired credentials."},
    403: {"description": "The caller's role does not allow this."},
    429: {"description": "The key's rate limit is exhausted; see Retry-After."},
}

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An access token from POST /api/v1/auth/token, or an API key.",
)
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="apiKey")


def state_of(request: Request) -> AppState:
    """The application state of a request."""
    state: AppState = request.app.state.leadpipe
    return state


def admit(request: Request, principal: Principal) -> Principal:
    """Count the request against the caller's budget; remember both for the headers and audit.

    Raises:
        ApiError: 429 when the budget of the current window is spent.
    """
    state = state_of(request)
    limit = principal.rate_limit or state.settings.rate_limit_per_minute
    decision = state.limiter.check(principal.limit_key, limit)
    request.state.principal = principal
    request.state.ratelimit = decision
    if not decision.allowed:
        raise ApiError(
            429,
            "rate_limited",
            f"rate limit of {decision.limit} requests per {decision.window_seconds} s exhausted;"
            f" retry in {decision.reset_seconds} s",
        )
    return principal


def unauthorized(detail: str) -> ApiError:
    """A 401 that tells the client how to authenticate."""
    return ApiError(401, "unauthorized", detail, {"WWW-Authenticate": 'Bearer realm="leadpipe"'})


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    api_key: Annotated[str | None, Security(api_key_header)],
) -> Principal:
    """The caller, from ``X-API-Key`` or ``Authorization: Bearer <token or key>``.

    Raises:
        ApiError: 401 without valid credentials; 429 when rate limited.
    """
    state = state_of(request)
    try:
        if api_key:
            principal = await state.authenticator.api_key(api_key)
        elif credentials is not None:
            token = credentials.credentials
            if token.startswith(KEY_PREFIX):
                principal = await state.authenticator.api_key(token)
            else:
                principal = read_token(token, state.settings.jwt_secret.reveal())
        else:
            raise AuthError("authentication required: send an access token or an API key")
    except AuthError as exc:
        raise unauthorized(str(exc)) from exc
    return admit(request, principal)


def require(role: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting callers whose role includes ``role``."""

    async def dependency(
        principal: Annotated[Principal, Depends(authenticate)],
    ) -> Principal:
        if not principal.role.allows(role):
            raise ApiError(
                403, "forbidden", f"this needs the {role} role; the caller is {principal.role}"
            )
        return principal

    return dependency


Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Analyst = Annotated[Principal, Depends(require(Role.ANALYST))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
State = Annotated[AppState, Depends(state_of)]
