"""Fault injection on the REST API, from Python and over the /_sim/ admin endpoint."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from leadpipe_simulators.companies_house import CompaniesHouseSimulator, Fault
from leadpipe_simulators.companies_house.testing import basic_auth as basic

REST_KEY = "rest-key-for-tests"
SimFactory = Callable[..., Awaitable[CompaniesHouseSimulator]]


async def test_next_n_responses_are_5xx_then_normal(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim()
    sim.rest.faults.add(Fault("status", count=2, status=503))
    url = f"{sim.rest_url}/company/{sim.population.number_of(3)}"
    statuses = []
    for _ in range(3):
        async with http.get(url, headers=basic(REST_KEY)) as resp:
            statuses.append(resp.status)
    assert statuses == [503, 503, 200]
    assert sim.rest.stats()["by_status"] == {"200": 1, "503": 2}


async def test_faults_from_the_admin_endpoint(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim()
    faults = [{"kind": "status", "status": 502, "count": 1}, {"kind": "status", "status": 500}]
    async with http.post(f"{sim.rest_url}/_sim/faults", json=faults) as resp:
        assert resp.status == 200
        assert len((await resp.json())["pending"]) == 2
    url = f"{sim.rest_url}/company/{sim.population.number_of(3)}"
    async with http.get(url, headers=basic(REST_KEY)) as resp:
        assert resp.status == 502
    async with http.get(url, headers=basic(REST_KEY)) as resp:
        assert resp.status == 500
        assert (await resp.json())["error"] == "Internal server error"
    async with http.post(f"{sim.rest_url}/_sim/faults", json={"kind": "nonsense"}) as resp:
        assert resp.status == 400
    async with http.get(f"{sim.rest_url}/_sim/stats") as resp:
        stats = await resp.json()
        assert stats["by_status"] == {"500": 1, "502": 1}
        assert stats["requests"] == 2  # admin calls are not recorded


async def test_latency_is_added(make_sim: SimFactory, http: aiohttp.ClientSession) -> None:
    sim = await make_sim()
    sim.rest.faults.add(Fault("latency", count=1, delay=0.3))
    url = f"{sim.rest_url}/company/{sim.population.number_of(3)}"
    started = time.monotonic()
    async with http.get(url, headers=basic(REST_KEY)) as resp:
        assert resp.status == 200
    assert time.monotonic() - started >= 0.3


async def test_dropped_connection(make_sim: SimFactory, http: aiohttp.ClientSession) -> None:
    sim = await make_sim()
    # aiohttp retries an idempotent request once when the server closes without answering,
    # so two drops are needed for the client to see the error.
    sim.rest.faults.add(Fault("drop", count=2))
    url = f"{sim.rest_url}/company/{sim.population.number_of(3)}"
    with pytest.raises(aiohttp.ClientConnectionError):
        async with http.get(url, headers=basic(REST_KEY)) as resp:
            await resp.read()
    async with http.get(url, headers=basic(REST_KEY)) as resp:
        assert resp.status == 200
    assert sim.rest.requests.count(0) == 2


async def test_malformed_json_body(make_sim: SimFactory, http: aiohttp.ClientSession) -> None:
    sim = await make_sim()
    sim.rest.faults.add(Fault("malformed_json", count=1, path_prefix="/company/"))
    url = f"{sim.rest_url}/company/{sim.population.number_of(3)}"
    async with http.get(url, headers=basic(REST_KEY)) as resp:
        assert resp.status == 200
        with pytest.raises(json.JSONDecodeError):
            json.loads(await resp.text())


async def test_request_log_and_reset(make_sim: SimFactory, http: aiohttp.ClientSession) -> None:
    sim = await make_sim()
    url = f"{sim.rest_url}/company/{sim.population.number_of(3)}"
    for _ in range(3):
        async with http.get(url, headers=basic(REST_KEY)) as resp:
            assert resp.status == 200
    async with http.get(f"{sim.rest_url}/_sim/requests") as resp:
        records = await resp.json()
    assert [r["status"] for r in records] == [200, 200, 200]
    assert all(r["key"] == REST_KEY for r in records)
    async with http.post(f"{sim.rest_url}/_sim/reset") as resp:
        assert resp.status == 200
    assert len(sim.rest.requests) == 0
