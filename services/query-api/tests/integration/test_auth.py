"""Every route needs credentials and the right role; keys are rate limited with headers."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest

from query_api.adapters.access import AccessStore
from query_api.auth import Role
from query_api.settings import Settings

pytestmark = pytest.mark.integration

PUBLIC = {("GET", "/healthz"), ("GET", "/readyz")}
V, A, D = Role.VIEWER, Role.ANALYST, Role.ADMIN
# The least role each route needs. The walk below fails if a route is missing here, so a new
# route cannot ship without a decision about who may call it.
REQUIRED: dict[tuple[str, str], Role] = {
    ("GET", "/api/v1/companies"): V,
    ("GET", "/api/v1/companies/{company_number}"): V,
    ("GET", "/api/v1/companies/{company_number}/officers"): V,
    ("GET", "/api/v1/leads"): V,
    ("GET", "/api/v1/stats"): V,
    ("GET", "/api/v1/analytics/transitions"): V,
    ("GET", "/api/v1/analytics/sectors"): V,
    ("GET", "/api/v1/analytics/regions"): V,
    ("GET", "/api/v1/analytics/enrichment"): V,
    ("GET", "/api/v1/analytics/usage"): V,
    ("GET", "/api/v1/status"): V,
    ("GET", "/api/v1/charts/{name}.svg"): V,
    ("POST", "/api/v1/auth/token"): V,
    ("GET", "/api/v1/auth/me"): V,
    ("GET", "/api/v1/jobs"): V,
    ("GET", "/api/v1/jobs/{job_id}"): V,
    ("POST", "/api/v1/jobs/{job_id}/{action}"): D,
    ("POST", "/api/v1/companies/{company_number}/fetch-officers"): A,
    ("POST", "/api/v1/companies/{company_number}/process"): A,
    ("POST", "/api/v1/saved-searches"): A,
    ("GET", "/api/v1/saved-searches"): V,
    ("GET", "/api/v1/saved-searches/{search_id}"): V,
    ("DELETE", "/api/v1/saved-searches/{search_id}"): A,
    ("POST", "/api/v1/webhooks"): D,
    ("GET", "/api/v1/webhooks"): D,
    ("DELETE", "/api/v1/webhooks/{subscription_id}"): D,
    ("GET", "/api/v1/webhooks/{subscription_id}/deliveries"): D,
    ("GET", "/api/v1/audit"): D,
    ("GET", "/api/v1/exports/companies"): A,
    ("GET", "/api/v1/exports/leads"): A,
    ("GET", "/api/v1/feed"): V,
    ("GET", "/api/v1/privacy/subject"): D,
    ("POST", "/api/v1/privacy/erasures"): D,
    ("GET", "/api/v1/privacy/erasures"): D,
    ("GET", "/api/v1/privacy/erasures/{request_id}"): D,
    ("GET", "/api/v1/privacy/suppressions"): D,
    ("DELETE", "/api/v1/privacy/suppressions/{request_id}"): D,
    ("GET", "/api/v1/privacy/retention"): D,
}
EXAMPLES = {
    "company_number": "01234567",
    "job_id": "job-1",
    "action": "pause",
    "search_id": "00000000-0000-4000-8000-000000000000",
    "subscription_id": "00000000-0000-4000-8000-000000000000",
    "request_id": "no-such-request",
    "name": "funnel",
}


def _routes(schema: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted(
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    )


def _url(path: str) -> str:
    for name, value in EXAMPLES.items():
        path = path.replace("{" + name + "}", value)
    return path


async def _status(http: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> int:
    # Streamed so that the live feed answers with its status without being read to the end.
    async with http.stream(method, _url(path), **kwargs) as response:
        return response.status_code


async def test_every_route_but_health_answers_401_without_credentials(
    http: httpx.AsyncClient,
) -> None:
    schema = (await http.get("/api/v1/openapi.json")).json()
    routes = _routes(schema)
    assert set(routes) == set(REQUIRED) | PUBLIC, "a route has no declared role"
    for method, path in routes:
        status = await _status(http, method, path)
        if (method, path) in PUBLIC:
            assert status == 200, (method, path)
        else:
            assert status == 401, (method, path, status)
        bad = await _status(http, method, path, headers={"Authorization": "Bearer not-a-token"})
        if (method, path) not in PUBLIC:
            assert bad == 401, (method, path, bad)


async def test_every_route_admits_its_role_and_refuses_the_roles_below(
    http: httpx.AsyncClient, keys: dict[Role, str]
) -> None:
    for (method, path), needed in REQUIRED.items():
        for role in Role:
            status = await _status(http, method, path, headers={"X-API-Key": keys[role]})
            if role.allows(needed):
                assert status not in (401, 403), (method, path, role, status)
            else:
                assert status == 403, (method, path, role, status)


async def test_token_endpoint_exchanges_a_password_or_key_for_a_short_lived_token(
    http: httpx.AsyncClient, access: AccessStore, keys: dict[Role, str], settings: Settings
) -> None:
    await access.add_user("alice", "correct horse battery", Role.ANALYST)
    wrong = await http.post("/api/v1/auth/token", auth=("alice", "wrong password"))
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "unauthorized"
    issued = await http.post("/api/v1/auth/token", auth=("alice", "correct horse battery"))
    assert issued.status_code == 200
    body = issued.json()
    assert body["role"] == "analyst"
    assert body["expires_in"] == settings.token_ttl_seconds
    claims = jwt.decode(
        body["access_token"],
        settings.jwt_secret.reveal(),
        algorithms=["HS256"],
        issuer="leadpipe-query-api",
    )
    assert claims["exp"] - claims["iat"] == settings.token_ttl_seconds
    me = await http.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["subject"] == "alice"

    by_key = await http.post("/api/v1/auth/token", headers={"X-API-Key": keys[Role.VIEWER]})
    assert by_key.json()["role"] == "viewer"

    expired = jwt.encode(
        {**claims, "iat": int(time.time()) - 100, "exp": int(time.time()) - 10},
        settings.jwt_secret.reveal(),
        algorithm="HS256",
    )
    refused = await http.get("/api/v1/stats", headers={"Authorization": f"Bearer {expired}"})
    assert refused.status_code == 401
    assert "expired" in refused.json()["detail"]
    forged = jwt.encode(
        {**claims, "role": "admin"}, "another-secret-entirely-0123456789abcdef", algorithm="HS256"
    )
    refused = await http.get("/api/v1/audit", headers={"Authorization": f"Bearer {forged}"})
    assert refused.status_code == 401


async def test_revoked_and_unknown_keys_are_refused(
    http: httpx.AsyncClient, access: AccessStore
) -> None:
    key_id, key = await access.create_key("short-lived", Role.VIEWER)
    await access.revoke_key(key_id)
    assert (await http.get("/api/v1/stats", headers={"X-API-Key": key})).status_code == 401
    forged = key[:-4] + "abcd"
    assert (await http.get("/api/v1/stats", headers={"X-API-Key": forged})).status_code == 401


async def test_a_key_gets_ratelimit_headers_then_a_clear_429(
    http: httpx.AsyncClient, access: AccessStore
) -> None:
    _, key = await access.create_key("limited", Role.VIEWER, rate_limit=3)
    headers = {"X-API-Key": key}
    remaining = []
    for _ in range(3):
        response = await http.get("/api/v1/stats", headers=headers)
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == "3"
        assert response.headers["RateLimit-Policy"] == "3;w=3600"
        assert int(response.headers["RateLimit-Reset"]) > 0
        remaining.append(int(response.headers["RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    refused = await http.get("/api/v1/stats", headers=headers)
    assert refused.status_code == 429
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert int(refused.headers["Retry-After"]) > 0
    body = refused.json()
    assert body["error"] == "rate_limited"
    assert "3 requests per 3600 s" in body["detail"]
    # Another key is not affected.
    _, other = await access.create_key("other", Role.VIEWER, rate_limit=3)
    assert (await http.get("/api/v1/stats", headers={"X-API-Key": other})).status_code == 200
