"""60 requests per minute per client, then 429 without rate headers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import aiohttp

from leadpipe_simulators.snov import SnovSimulator

TOKEN_FORM = {
    "grant_type": "client_credentials",
    "client_id": "client-a",
    "client_secret": "secret-a",
}


async def test_sixty_first_request_in_a_minute_is_429_without_headers(
    snov: SnovSimulator, http: aiohttp.ClientSession
) -> None:
    async with http.post(snov.url + "/v1/oauth/access_token", data=TOKEN_FORM) as response:
        token = (await response.json())["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    async def balance() -> int:
        async with http.get(snov.url + "/v1/get-balance", headers=headers) as response:
            await response.read()
            return response.status

    statuses = await asyncio.gather(*(balance() for _ in range(59)))
    assert set(statuses) == {200}

    async with http.get(snov.url + "/v1/get-balance", headers=headers) as response:
        assert response.status == 429
        body = await response.json()
        assert body["success"] is False
        assert body["errors"]
        assert not [h for h in response.headers if h.lower().startswith("x-ratelimit")]
        assert "Retry-After" not in response.headers

    snov.clock.advance(60)
    assert await balance() == 200
    assert snov.stats()["rate_limited"] == 1


async def test_the_limit_is_per_client(snov: SnovSimulator, http: aiohttp.ClientSession) -> None:
    snov.add_account("client-b", "secret-b", balance=10)
    first = {"Authorization": f"Bearer {snov.issue_token()}"}
    second = {"Authorization": f"Bearer {snov.issue_token('client-b')}"}
    for _ in range(60):
        async with http.get(snov.url + "/v1/get-balance", headers=first) as response:
            assert response.status == 200
    async with http.get(snov.url + "/v1/get-balance", headers=first) as response:
        assert response.status == 429
    async with http.get(snov.url + "/v1/get-balance", headers=second) as response:
        assert response.status == 200
        assert (await response.json())["data"]["balance"] == "10.00"
    async with http.post(snov.url + "/v1/oauth/access_token", data=TOKEN_FORM) as response:
        assert response.status == 429


async def test_window_reopens_on_an_accelerated_clock(
    make_snov: Callable[..., SnovSimulator], http: aiohttp.ClientSession
) -> None:
    # At 500x, the 60 s window lasts 120 real milliseconds.
    async with make_snov(time_scale=500, rate_limit=3, token_lifetime=10**9) as sim:
        headers = {"Authorization": f"Bearer {sim.issue_token()}"}

        async def balance() -> int:
            async with http.get(sim.url + "/v1/get-balance", headers=headers) as response:
                await response.read()
                return response.status

        burst = await asyncio.gather(*(balance() for _ in range(12)))
        assert burst.count(200) <= 3
        assert 429 in burst
        deadline = time.monotonic() + 5
        while await balance() != 200:
            assert time.monotonic() < deadline, "the window never reopened"
