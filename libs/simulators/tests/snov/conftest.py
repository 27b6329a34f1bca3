"""Fixtures for the Snov.io simulator tests: a running simulator, an HTTP client, a token helper,
a bounded poller and a small aiohttp server that receives webhook pushes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from leadpipe_simulators.snov import SnovConfig, SnovSimulator

CLIENT_ID = "client-a"
CLIENT_SECRET = "secret-a"

Waiter = Callable[..., Awaitable[None]]
TokenGetter = Callable[[SnovSimulator], Awaitable[str]]


def snov_config(**overrides: Any) -> SnovConfig:
    """The test configuration: fixed credentials and seed, anything else overridden."""
    values: dict[str, Any] = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "seed": 7}
    values.update(overrides)
    return SnovConfig(**values)


@pytest.fixture
def make_snov() -> Callable[..., SnovSimulator]:
    """Build (not start) a simulator with overrides of the test configuration."""

    def make(**overrides: Any) -> SnovSimulator:
        return SnovSimulator(snov_config(**overrides))

    return make


@pytest.fixture
async def snov() -> AsyncIterator[SnovSimulator]:
    async with SnovSimulator(snov_config()) as sim:
        yield sim


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


@pytest.fixture
def get_token(http: aiohttp.ClientSession) -> TokenGetter:
    async def fetch(sim: SnovSimulator) -> str:
        async with http.post(
            sim.url + "/v1/oauth/access_token",
            data={
                "grant_type": "client_credentials",
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
        ) as response:
            assert response.status == 200, await response.text()
            body = await response.json()
        token = body["access_token"]
        assert isinstance(token, str)
        return token

    return fetch


@pytest.fixture
def wait_until() -> Waiter:
    """Poll ``predicate`` until true or fail after ``timeout`` real seconds."""

    async def wait(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
            await asyncio.sleep(0.005)

    return wait


@dataclass
class Receiver:
    """A webhook endpoint answering from a script of statuses (then 200) and recording bodies."""

    url: str = ""
    script: list[int] = field(default_factory=list)
    stall_first: int = 0
    bodies: list[Any] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        index = len(self.bodies)
        self.bodies.append(await request.json())
        self.paths.append(request.path_qs)
        if index < self.stall_first:
            # Hold the answer until the test ends so the simulator's deadline expires.
            await self.release.wait()
        status = self.script[index] if index < len(self.script) else 200
        self.statuses.append(status)
        return web.json_response({"ok": status < 300}, status=status)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    recv = Receiver()
    app = web.Application()
    app.router.add_post("/webhooks/snov/{token}", recv.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    recv.url = f"http://{host}:{port}/webhooks/snov/batch-1.sig"
    try:
        yield recv
    finally:
        recv.release.set()
        await runner.cleanup()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def auth() -> Callable[[str], dict[str, str]]:
    return bearer
