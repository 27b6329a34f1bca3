"""Fixtures for the GoHighLevel simulator tests: a running simulator with two locations, an HTTP
client and a small request helper."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from leadpipe_simulators.ghl import GhlConfig, GhlSimulator

TOKEN_A, LOCATION_A = "pit-token-a", "Qw3rTy8uIoP1aS2dF4gH"
TOKEN_B, LOCATION_B = "pit-token-b", "LocationB0000000000"


def ghl_config(**overrides: Any) -> GhlConfig:
    values: dict[str, Any] = {"tokens": {TOKEN_A: LOCATION_A, TOKEN_B: LOCATION_B}, "seed": 3}
    values.update(overrides)
    return GhlConfig(**values)


@pytest.fixture
def make_ghl() -> Callable[..., GhlSimulator]:
    def make(**overrides: Any) -> GhlSimulator:
        return GhlSimulator(ghl_config(**overrides))

    return make


@pytest.fixture
async def ghl() -> AsyncIterator[GhlSimulator]:
    async with GhlSimulator(ghl_config()) as sim:
        yield sim


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


class Reply:
    """Status, headers and decoded body of one call."""

    def __init__(self, status: int, headers: dict[str, str], body: Any) -> None:
        self.status = status
        self.headers = headers
        self.body = body


Call = Callable[..., Awaitable[Reply]]


@pytest.fixture
def call(http: aiohttp.ClientSession) -> Call:
    """``await call(sim, "POST", "/contacts/upsert", json=..., token=..., version=...)``."""

    async def send(
        sim: GhlSimulator,
        method: str,
        path: str,
        *,
        json: Any = None,
        token: str | None = TOKEN_A,
        version: str | None = "2021-07-28",
        params: dict[str, str] | None = None,
    ) -> Reply:
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if version is not None:
            headers["Version"] = version
        async with http.request(
            method, sim.url + path, json=json, headers=headers, params=params
        ) as response:
            return Reply(response.status, dict(response.headers), await response.json())

    return send
