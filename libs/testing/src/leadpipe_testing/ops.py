"""Probing a service's ops port from tests."""

from __future__ import annotations

import aiohttp


async def is_ready(port: int, host: str = "127.0.0.1") -> bool:
    """Whether the service on ``port`` answers ``/readyz`` with 200 (False when unreachable)."""
    try:
        timeout = aiohttp.ClientTimeout(total=2)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(f"http://{host}:{port}/readyz") as response,
        ):
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False
