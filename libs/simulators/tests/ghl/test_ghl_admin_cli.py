"""The /_sim/ control endpoints and the standalone command."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

import aiohttp

from leadpipe_simulators.ghl import GhlSimulator

LOCATION_A = "Qw3rTy8uIoP1aS2dF4gH"


async def _admin(http: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> Any:
    async with http.request(method, url, json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def test_admin_endpoints_drive_the_simulator(
    ghl: GhlSimulator, call: Any, http: aiohttp.ClientSession
) -> None:
    base = ghl.url + "/_sim"
    await _admin(http, "POST", base + "/tokens", {"token": "pit-c", "location_id": "LocC"})
    field = await _admin(
        http, "POST", base + "/locations/LocC/custom-fields", {"name": "Company Number"}
    )
    assert field["customField"]["fieldKey"] == "contact.company_number"
    await _admin(
        http,
        "POST",
        base + "/faults",
        {"reject_emails": ["no@example.co.uk"], "storm_429": {"count": 1}},
    )
    body = {
        "locationId": "LocC",
        "email": "yes@example.co.uk",
        "customFields": [{"id": field["customField"]["id"], "field_value": "01234567"}],
    }
    assert (await call(ghl, "POST", "/contacts/upsert", json=body, token="pit-c")).status == 429
    assert (await call(ghl, "POST", "/contacts/upsert", json=body, token="pit-c")).status == 200
    rejected = {"locationId": "LocC", "email": "no@example.co.uk"}
    assert (await call(ghl, "POST", "/contacts/upsert", json=rejected, token="pit-c")).status == 422

    found = await _admin(http, "GET", base + "/contacts?email=YES@example.co.uk")
    assert found["count"] == 1
    assert found["contacts"][0]["customFields"][0]["value"] == "01234567"
    stats = await _admin(http, "GET", base + "/stats")
    assert (stats["created"], stats["forced_422"], stats["contacts"]) == (1, 1, 1)
    requests = await _admin(http, "GET", base + "/requests")
    assert [r["status"] for r in requests["requests"]] == [429, 200, 422]
    assert {r["principal"] for r in requests["requests"]} == {"LocC"}

    settings = await _admin(
        http, "POST", base + "/locations/LocC/settings", {"allow_duplicates": True}
    )
    assert settings == {"allow_duplicates": True, "match_order": ["email", "phone"]}
    limits = await _admin(http, "POST", base + "/rate-limits", {"burst_limit": 1})
    assert limits["burst_limit"] == 1
    assert (await call(ghl, "GET", "/locations/LocC/customFields", token="pit-c")).status == 200
    assert (await call(ghl, "GET", "/locations/LocC/customFields", token="pit-c")).status == 429
    await _admin(http, "POST", base + "/clock/advance", {"seconds": 10})
    assert (await call(ghl, "GET", "/locations/LocC/customFields", token="pit-c")).status == 200
    await _admin(http, "DELETE", base + "/faults")
    await _admin(http, "DELETE", base + "/tokens/pit-c")
    assert (await call(ghl, "GET", "/locations/LocC/customFields", token="pit-c")).status == 401
    await _admin(http, "POST", base + "/reset")
    assert ghl.contacts() == []


async def test_cli_serves_until_sigint(http: aiohttp.ClientSession) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "leadpipe_simulators",
        "ghl",
        "--port",
        "0",
        "--token",
        "T",
        "--location-id",
        "L",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        url = (await asyncio.wait_for(process.stdout.readline(), timeout=20)).decode().strip()
        assert url.startswith("http://127.0.0.1:")
        async with http.post(
            url + "/contacts/upsert",
            json={"locationId": "L", "email": "cli@example.co.uk"},
            headers={"Authorization": "Bearer T", "Version": "2021-07-28"},
        ) as response:
            assert response.status == 200
            assert (await response.json())["new"] is True
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), timeout=20) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
