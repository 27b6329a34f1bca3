"""Small helpers for tests that drive clients against the simulator."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable

import aiohttp


def basic_auth(key: str, password: str = "") -> dict[str, str]:
    """The ``Authorization`` header CH expects: Basic with the key as user, empty password."""
    token = base64.b64encode(f"{key}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def eventually(
    predicate: Callable[[], bool], *, timeout: float = 5.0, interval: float = 0.01
) -> None:
    """Poll ``predicate`` until it holds; AssertionError after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met within the timeout")
        await asyncio.sleep(interval)


async def read_line(response: aiohttp.ClientResponse, timeout: float = 5.0) -> bytes:
    """The next NDJSON line (heartbeats included) of a stream response, bounded in time."""
    return await asyncio.wait_for(response.content.readline(), timeout)


async def read_event_lines(
    response: aiohttp.ClientResponse, count: int, timeout: float = 5.0
) -> list[bytes]:
    """The next ``count`` non-heartbeat lines of a stream response."""
    lines: list[bytes] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(lines) < count:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"only {len(lines)} of {count} events arrived in time")
        line = await asyncio.wait_for(response.content.readline(), remaining)
        if not line:
            raise AssertionError("stream ended early")
        if line.strip():
            lines.append(line)
    return lines
