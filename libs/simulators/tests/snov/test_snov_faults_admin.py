"""API fault switches and the /_sim/ control endpoints."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from leadpipe_simulators.snov import SnovSimulator

Waiter = Callable[..., Awaitable[None]]


async def test_5xx_burst_then_recovery(snov: SnovSimulator, http: aiohttp.ClientSession) -> None:
    headers = {"Authorization": f"Bearer {snov.issue_token()}"}
    snov.fail_next(2, status=503)
    statuses = []
    for _ in range(3):
        async with http.get(snov.url + "/v1/get-balance", headers=headers) as response:
            statuses.append(response.status)
            if response.status == 503:
                assert await response.json() == {
                    "success": False,
                    "errors": ["Service Unavailable"],
                }
    assert statuses == [503, 503, 200]


async def test_latency_trips_a_client_timeout(
    snov: SnovSimulator, http: aiohttp.ClientSession
) -> None:
    headers = {"Authorization": f"Bearer {snov.issue_token()}"}
    snov.set_latency(0.5)
    with pytest.raises(asyncio.TimeoutError):
        async with http.get(
            snov.url + "/v1/get-balance",
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=0.1),
        ):
            pass
    snov.clear_faults()
    async with http.get(snov.url + "/v1/get-balance", headers=headers) as response:
        assert response.status == 200


async def _admin(http: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> Any:
    async with http.request(method, url, json=body) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def test_admin_endpoints_drive_a_simulator_over_http(
    snov: SnovSimulator,
    http: aiohttp.ClientSession,
    receiver: Any,
    wait_until: Waiter,
) -> None:
    base = snov.url + "/_sim"
    assert (await _admin(http, "POST", base + "/balance", {"balance": 5}))["balance"] == 5
    assert (await _admin(http, "POST", base + "/balance", {"add": 3}))["balance"] == 8
    await _admin(http, "POST", base + "/domains", {"name": "Admin Co Ltd", "domain": "admin.co"})
    await _admin(
        http, "POST", base + "/domains", {"name": "Gone Ltd", "domain": None, "shape": "missing"}
    )
    await _admin(
        http,
        "POST",
        base + "/emails",
        {
            "first_name": "Ada",
            "last_name": "Byron",
            "domain": "admin.co",
            "emails": [
                {
                    "email": "ada@admin.co",
                    "smtp_status": "unknown",
                    "unknown_status_reason": "greylist",
                }
            ],
        },
    )
    await _admin(http, "POST", base + "/faults", {"duplicate_webhooks": {"copies": 2}})

    headers = {"Authorization": f"Bearer {snov.issue_token()}"}
    async with http.post(
        snov.url + "/v2/company-domain-by-name/start",
        json={"names": ["Admin Co Ltd", "Gone Ltd"], "webhook_url": receiver.url},
        headers=headers,
    ) as response:
        task_hash = (await response.json())["data"]["task_hash"]
    await _admin(http, "POST", base + "/clock/advance", {"seconds": 5})
    await wait_until(lambda: len(receiver.bodies) == 2)
    assert receiver.bodies[0]["data"] == [
        {"name": "Admin Co Ltd", "result": {"domain": "admin.co"}}
    ]

    task = await _admin(http, "GET", base + f"/tasks/{task_hash}")
    assert task["state"] == "completed"
    assert task["credits"] == 1
    charges = await _admin(http, "GET", base + "/charges")
    assert charges["spent"] == {"company-domain-by-name": 1}
    assert charges["charges"][0]["items"] == ["ADMIN CO"]
    hooks = await _admin(http, "GET", base + "/webhooks")
    assert hooks["counts"]["delivered"] == 2
    stats = await _admin(http, "GET", base + "/stats")
    assert stats["balances"] == {"client-a": 7}
    assert stats["tasks_started"] == {"company-domain-by-name": 1}

    await _admin(http, "POST", base + "/faults", {"fail_next": {"count": 1, "status": 502}})
    async with http.get(snov.url + "/v1/get-balance", headers=headers) as response:
        assert response.status == 502
    requests = await _admin(http, "GET", base + "/requests")
    assert requests["by_status"]["502"] == 1
    assert all(not r["path"].startswith("/_sim/") for r in requests["requests"])
    await _admin(http, "DELETE", base + "/faults")
    await _admin(http, "DELETE", base + "/overrides")
    assert snov.expected_domain("Admin Co Ltd") != "admin.co"


async def test_admin_rejects_bad_input(snov: SnovSimulator, http: aiohttp.ClientSession) -> None:
    async with http.post(snov.url + "/_sim/balance", json={"balance": -1}) as response:
        assert response.status == 400
    async with http.post(
        snov.url + "/_sim/faults", json={"fail_next": {"count": 1, "status": 404}}
    ) as response:
        assert response.status == 400
    async with http.post(snov.url + "/_sim/clock/advance", json={"seconds": "soon"}) as response:
        assert response.status == 400
