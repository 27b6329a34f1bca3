"""REST Public Data API: auth, error bodies, profile and officer paging (A.2-A.4)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from leadpipe_simulators.companies_house import CompaniesHouseSimulator
from leadpipe_simulators.companies_house.testing import basic_auth as basic

REST_KEY = "rest-key-for-tests"
STREAM_KEY = "stream-key-for-tests"
SimFactory = Callable[..., Awaitable[CompaniesHouseSimulator]]


async def test_profile_has_etag_header_matching_body(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim()
    number = sim.population.number_of(1234)
    async with http.get(f"{sim.rest_url}/company/{number}", headers=basic(REST_KEY)) as resp:
        assert resp.status == 200
        body = await resp.json()
        assert resp.headers["ETag"] == f'"{body["etag"]}"'
    assert body == sim.population.profile(number)
    assert body["company_number"] == number


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("wrong-key"),
        basic(STREAM_KEY),
        basic(REST_KEY, password="secret"),
        {"Authorization": f"Bearer {REST_KEY}"},
        {"Authorization": "Basic !!!not-base64"},
    ],
)
async def test_bad_or_missing_key_is_401_with_the_documented_body(
    make_sim: SimFactory, http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    sim = await make_sim()
    number = sim.population.number_of(5)
    async with http.get(f"{sim.rest_url}/company/{number}", headers=headers) as resp:
        assert resp.status == 401
        assert await resp.json() == {"error": "Invalid Authorization", "type": "ch:service"}
        assert "X-Ratelimit-Remain" not in resp.headers


async def test_unknown_company_is_404_with_the_documented_body(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(size=1_000)
    expected = {"errors": [{"type": "ch:service", "error": "company-profile-not-found"}]}
    for path in ("/company/99999998", "/company/99999998/officers", "/company/SC999998"):
        async with http.get(sim.rest_url + path, headers=basic(REST_KEY)) as resp:
            assert resp.status == 404
            assert await resp.json() == expected
            assert resp.headers["X-Ratelimit-Limit"] == "600"


@pytest.mark.parametrize("number", ["123", "123456789", "AB12345X", "S1234567", "1234567A"])
async def test_malformed_number_is_500_internal_server_error(
    make_sim: SimFactory, http: aiohttp.ClientSession, number: str
) -> None:
    sim = await make_sim(size=1_000)
    async with http.get(f"{sim.rest_url}/company/{number}", headers=basic(REST_KEY)) as resp:
        assert resp.status == 500
        body = await resp.json()
        assert set(body) == {"exception_id", "error"}
        assert body["error"] == "Internal server error"
        assert re.fullmatch(r"[0-9a-f]+", body["exception_id"])


async def test_officer_paging_over_a_250_officer_company(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim()
    number = sim.population.number_of(777)
    sim.population.force_officer_count(number, 250)
    pages = []
    start = 0
    while True:
        url = f"{sim.rest_url}/company/{number}/officers?items_per_page=100&start_index={start}"
        async with http.get(url, headers=basic(REST_KEY)) as resp:
            assert resp.status == 200
            page = await resp.json()
        pages.append(page)
        start += len(page["items"])
        if not page["items"] or start >= page["total_results"]:
            break
    assert [len(p["items"]) for p in pages] == [100, 100, 50]
    assert [p["start_index"] for p in pages] == [0, 100, 200]
    first = pages[0]
    assert first["kind"] == "officer-list"
    assert first["total_results"] == 250
    assert first["items_per_page"] == 100
    assert first["links"] == {"self": f"/company/{number}/officers"}
    assert first["active_count"] + first["resigned_count"] + first["inactive_count"] == 250
    assert re.fullmatch(r"[0-9a-f]{40}", first["etag"])
    links = {item["links"]["self"] for p in pages for item in p["items"]}
    assert len(links) == 250
    resigned = sum(1 for p in pages for item in p["items"] if "resigned_on" in item)
    assert resigned == first["resigned_count"]


async def test_officers_default_page_size_is_35_and_bad_parameters_are_400(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim()
    number = sim.population.number_of(12)
    sim.population.force_officer_count(number, 40)
    async with http.get(f"{sim.rest_url}/company/{number}/officers", headers=basic(REST_KEY)) as r:
        body = await r.json()
        assert (body["items_per_page"], len(body["items"]), body["start_index"]) == (35, 35, 0)
    for query in ("order_by=-surname", "items_per_page=x", "start_index=-1", "filter=all"):
        url = f"{sim.rest_url}/company/{number}/officers?{query}"
        async with http.get(url, headers=basic(REST_KEY)) as r:
            assert r.status == 400, query
    url = f"{sim.rest_url}/company/{number}/officers?filter=active&order_by=surname"
    async with http.get(url, headers=basic(REST_KEY)) as r:
        body = await r.json()
        assert body["resigned_count"] == 0
        names = [item["name"] for item in body["items"]]
        assert names == sorted(names)
