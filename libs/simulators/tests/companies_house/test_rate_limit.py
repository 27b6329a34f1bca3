"""Rate limiting exactly as documented: per key, fixed window from the first request, 429 for
the rest of the window, then a fresh allowance; optional per-IP 403 (A.5)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable

import aiohttp

from leadpipe_simulators.companies_house import (
    AcceleratedClock,
    CompaniesHouseSimulator,
    VirtualClock,
)
from leadpipe_simulators.companies_house.testing import basic_auth as basic

REST_KEY = "rest-key-for-tests"
STREAM_KEY = "stream-key-for-tests"
SimFactory = Callable[..., Awaitable[CompaniesHouseSimulator]]


async def test_window_headers_429_and_reset_on_a_virtual_clock(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    clock = VirtualClock(1_800_000_000.5)
    sim = await make_sim(rate_limit=60, rate_window=3.0, clock=clock)
    url = f"{sim.rest_url}/company/{sim.population.number_of(3)}"
    window_end = 1_800_000_000.5 + 3.0
    for n in range(1, 61):
        async with http.get(url, headers=basic(REST_KEY)) as resp:
            assert resp.status == 200
            assert resp.headers["X-Ratelimit-Limit"] == "60"
            assert resp.headers["X-Ratelimit-Remain"] == str(60 - n)
            assert resp.headers["X-Ratelimit-Reset"] == str(math.ceil(window_end))
            assert resp.headers["X-Ratelimit-Window"] == "3s"
        clock.advance(0.01)
    # Over the limit: 429 for every request until the window ends, whatever the path.
    for path in ("", "/officers"):
        async with http.get(url + path, headers=basic(REST_KEY)) as resp:
            assert resp.status == 429
            assert resp.headers["X-Ratelimit-Remain"] == "0"
    clock.set(window_end - 0.001)
    async with http.get(url, headers=basic(REST_KEY)) as resp:
        assert resp.status == 429
    clock.set(window_end)
    async with http.get(url, headers=basic(REST_KEY)) as resp:
        assert resp.status == 200
        assert resp.headers["X-Ratelimit-Remain"] == "59"
        assert resp.headers["X-Ratelimit-Reset"] == str(math.ceil(window_end + 3.0))
    assert sim.rest.requests.count(429) == 3
    assert sim.rest.stats()["rate_limited"] == 3


async def test_default_window_label_is_5m(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim()
    async with http.get(
        f"{sim.rest_url}/company/{sim.population.number_of(3)}", headers=basic(REST_KEY)
    ) as resp:
        assert resp.headers["X-Ratelimit-Window"] == "5m"
        assert resp.headers["X-Ratelimit-Limit"] == "600"


async def test_accelerated_window_locks_out_until_reset(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    # 600 per 5 minutes at 100x: the documented window passes in 3 real seconds.
    clock = AcceleratedClock(100.0)
    sim = await make_sim(rate_limit=600, clock=clock)
    url = f"{sim.rest_url}/company/{sim.population.number_of(9)}"
    statuses = []
    reset = 0
    for _ in range(605):
        async with http.get(url, headers=basic(REST_KEY)) as resp:
            statuses.append(resp.status)
            reset = int(resp.headers["X-Ratelimit-Reset"])
        if resp.status == 429:
            break
    assert statuses.count(200) == 600
    assert statuses[-1] == 429
    # Poll (bounded) until the allowance comes back.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10.0
    while True:
        async with http.get(url, headers=basic(REST_KEY)) as resp:
            if resp.status == 200:
                break
            assert resp.status == 429
            assert int(resp.headers["X-Ratelimit-Reset"]) == reset
        assert loop.time() < deadline, "window never reset"
        await asyncio.sleep(0.05)
    # Server side: every 429 fell inside the first window, the next 200 at or after its end.
    records = sim.rest.requests.records
    window_end = records[0].time + 300.0
    assert reset == math.ceil(window_end)
    assert all(r.time < window_end for r in records if r.status == 429)
    assert records[-1].status == 200
    assert records[-1].time >= window_end
    assert sum(1 for r in records if r.status == 200 and r.time < window_end) == 600


async def test_ip_limit_answers_403_until_its_window_ends(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    clock = VirtualClock()
    sim = await make_sim(ip_rate_limit=5, ip_rate_window=10.0, clock=clock)
    url = f"{sim.rest_url}/company/{sim.population.number_of(3)}"
    for _ in range(5):
        async with http.get(url, headers=basic(REST_KEY)) as resp:
            assert resp.status == 200
    # Every request from the address counts, even unauthenticated ones.
    for headers in (basic(REST_KEY), {}):
        async with http.get(url, headers=headers) as resp:
            assert resp.status == 403
            assert (await resp.json())["type"] == "ch:service"
    clock.advance(10.0)
    async with http.get(url, headers=basic(REST_KEY)) as resp:
        assert resp.status == 200
    assert sim.rest.stats()["ip_limited"] == 2


async def test_ip_limit_is_off_by_default(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(rate_limit=1_000)
    url = f"{sim.rest_url}/company/{sim.population.number_of(3)}"
    for _ in range(50):
        async with http.get(url, headers=basic(REST_KEY)) as resp:
            assert resp.status == 200
