"""Token flow, expiry on the simulated clock and 401s."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp

from leadpipe_simulators.snov import SnovSimulator


async def test_client_credentials_token_is_bearer_for_an_hour(
    snov: SnovSimulator, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        snov.url + "/v1/oauth/access_token",
        data={
            "grant_type": "client_credentials",
            "client_id": "client-a",
            "client_secret": "secret-a",
        },
    ) as response:
        assert response.status == 200
        body = await response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert len(body["access_token"]) == 40


async def test_wrong_credentials_are_401_invalid_client(
    snov: SnovSimulator, http: aiohttp.ClientSession
) -> None:
    for client_id, secret in (("client-a", "wrong"), ("nobody", "secret-a")):
        async with http.post(
            snov.url + "/v1/oauth/access_token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        ) as response:
            assert response.status == 401
            assert (await response.json())["error"] == "invalid_client"


async def test_other_grant_types_are_400(snov: SnovSimulator, http: aiohttp.ClientSession) -> None:
    async with http.post(
        snov.url + "/v1/oauth/access_token",
        data={"grant_type": "password", "client_id": "client-a", "client_secret": "secret-a"},
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"] == "unsupported_grant_type"


async def test_missing_or_invalid_token_is_401(
    snov: SnovSimulator, http: aiohttp.ClientSession
) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eA=="}):
        async with http.get(snov.url + "/v1/get-balance", headers=headers) as response:
            assert response.status == 401
            assert await response.json() == {"success": False, "errors": ["Unauthenticated."]}


async def test_token_expires_on_the_simulated_clock(
    snov: SnovSimulator,
    http: aiohttp.ClientSession,
    get_token: Callable[[SnovSimulator], Awaitable[str]],
    auth: Callable[[str], dict[str, str]],
) -> None:
    token = await get_token(snov)
    snov.clock.advance(3599)
    async with http.get(snov.url + "/v1/get-balance", headers=auth(token)) as response:
        assert response.status == 200
    snov.clock.advance(1)
    async with http.get(snov.url + "/v1/get-balance", headers=auth(token)) as response:
        assert response.status == 401


async def test_injected_time_source_drives_expiry(
    make_snov: Callable[..., SnovSimulator], http: aiohttp.ClientSession
) -> None:
    now = [1_000.0]
    async with make_snov(clock=lambda: now[0], token_lifetime=60) as sim:
        token = sim.issue_token()
        headers = {"Authorization": f"Bearer {token}"}
        async with http.get(sim.url + "/v1/get-balance", headers=headers) as response:
            assert response.status == 200
        now[0] += 60
        async with http.get(sim.url + "/v1/get-balance", headers=headers) as response:
            assert response.status == 401


async def test_token_in_access_token_parameter_and_bare_header_is_accepted(
    snov: SnovSimulator, http: aiohttp.ClientSession
) -> None:
    token = snov.issue_token()
    async with http.get(snov.url + "/v1/get-balance", params={"access_token": token}) as response:
        assert response.status == 200
    async with http.get(snov.url + "/v1/get-balance", headers={"Authorization": token}) as response:
        assert response.status == 200
