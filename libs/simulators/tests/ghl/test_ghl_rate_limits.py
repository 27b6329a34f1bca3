"""X-RateLimit-* headers, burst and daily limits per location, 429 storms, 5xx and latency."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from leadpipe_simulators.ghl import GhlSimulator

LOCATION_A = "Qw3rTy8uIoP1aS2dF4gH"
FIELDS = f"/locations/{LOCATION_A}/customFields"


async def test_headers_on_every_response(ghl: GhlSimulator, call: Any) -> None:
    first = await call(ghl, "GET", FIELDS)
    assert first.status == 200
    assert {
        k: first.headers[k]
        for k in (
            "X-RateLimit-Limit-Daily",
            "X-RateLimit-Daily-Remaining",
            "X-RateLimit-Interval-Milliseconds",
            "X-RateLimit-Max",
            "X-RateLimit-Remaining",
        )
    } == {
        "X-RateLimit-Limit-Daily": "200000",
        "X-RateLimit-Daily-Remaining": "199999",
        "X-RateLimit-Interval-Milliseconds": "10000",
        "X-RateLimit-Max": "100",
        "X-RateLimit-Remaining": "99",
    }
    rejected = await call(ghl, "POST", "/contacts/upsert", json={"bogus": 1})
    assert rejected.status == 422
    assert rejected.headers["X-RateLimit-Remaining"] == "98"


async def test_burst_limit_is_429_until_the_interval_passes(ghl: GhlSimulator, call: Any) -> None:
    ghl.set_rate_limits(burst_limit=5)
    statuses = [(await call(ghl, "GET", FIELDS)).status for _ in range(5)]
    assert statuses == [200] * 5
    over = await call(ghl, "GET", FIELDS)
    assert over.status == 429
    assert over.body["statusCode"] == 429
    assert over.headers["X-RateLimit-Remaining"] == "0"
    assert "Retry-After" not in over.headers
    other_location = await call(
        ghl, "GET", "/locations/LocationB0000000000/customFields", token="pit-token-b"
    )
    assert other_location.status == 200
    ghl.clock.advance(10)
    assert (await call(ghl, "GET", FIELDS)).status == 200
    assert ghl.stats()["rate_limited_429"] == 1


async def test_daily_limit_resets_the_next_day(ghl: GhlSimulator, call: Any) -> None:
    ghl.set_rate_limits(daily_limit=3)
    replies = [await call(ghl, "GET", FIELDS) for _ in range(4)]
    assert [r.status for r in replies] == [200, 200, 200, 429]
    assert replies[2].headers["X-RateLimit-Daily-Remaining"] == "0"
    ghl.clock.advance(86_400)
    assert (await call(ghl, "GET", FIELDS)).status == 200


async def test_burst_window_reopens_on_an_accelerated_clock(
    make_ghl: Callable[..., GhlSimulator], http: aiohttp.ClientSession
) -> None:
    # At 50x the 10 s window lasts 200 real milliseconds.
    async with make_ghl(time_scale=50, burst_limit=3) as sim:
        headers = {"Authorization": "Bearer pit-token-a", "Version": "2021-07-28"}

        async def fetch() -> int:
            async with http.get(sim.url + FIELDS, headers=headers) as response:
                await response.read()
                return response.status

        burst = await asyncio.gather(*(fetch() for _ in range(10)))
        assert burst.count(200) <= 3
        assert 429 in burst
        deadline = time.monotonic() + 5
        while await fetch() != 200:
            assert time.monotonic() < deadline, "the burst window never reopened"
            await asyncio.sleep(0.01)


async def test_forced_429_storm_by_count_and_by_duration(ghl: GhlSimulator, call: Any) -> None:
    ghl.storm_429(count=3)
    assert [(await call(ghl, "GET", FIELDS)).status for _ in range(4)] == [429, 429, 429, 200]
    ghl.storm_429(seconds=30)
    assert (await call(ghl, "GET", FIELDS)).status == 429
    ghl.clock.advance(30)
    assert (await call(ghl, "GET", FIELDS)).status == 200


async def test_5xx_burst_and_latency(
    ghl: GhlSimulator, call: Any, http: aiohttp.ClientSession
) -> None:
    ghl.fail_next(2, status=502)
    replies = [await call(ghl, "GET", FIELDS) for _ in range(3)]
    assert [r.status for r in replies] == [502, 502, 200]
    assert replies[0].body["statusCode"] == 502
    ghl.set_latency(0.5)
    with pytest.raises(asyncio.TimeoutError):
        async with http.get(
            ghl.url + FIELDS,
            headers={"Authorization": "Bearer pit-token-a", "Version": "2021-07-28"},
            timeout=aiohttp.ClientTimeout(total=0.1),
        ):
            pass
    ghl.clear_faults()
    assert (await call(ghl, "GET", FIELDS)).status == 200
