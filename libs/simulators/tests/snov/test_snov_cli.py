"""The standalone command: prints its URL, serves, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import sys

import aiohttp


async def test_cli_serves_until_sigterm(http: aiohttp.ClientSession) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "leadpipe_simulators",
        "snov",
        "--port",
        "0",
        "--client-id",
        "X",
        "--client-secret",
        "Y",
        "--seed",
        "7",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=20)
        url = line.decode().strip()
        assert url.startswith("http://127.0.0.1:")
        async with http.post(
            url + "/v1/oauth/access_token",
            data={"grant_type": "client_credentials", "client_id": "X", "client_secret": "Y"},
        ) as response:
            assert response.status == 200
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
