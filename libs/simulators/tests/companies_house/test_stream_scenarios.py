"""Strike-off scenarios: matching events on the companies and filings streams, and the REST API
agreeing afterwards; ``omit_status_detail`` (SPEC 3.1 strike-off signals)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from leadpipe_simulators.companies_house import CompaniesHouseSimulator
from leadpipe_simulators.companies_house.testing import basic_auth as basic
from leadpipe_simulators.companies_house.testing import eventually, read_event_lines

REST_KEY = "rest-key-for-tests"
STREAM_KEY = "stream-key-for-tests"
SimFactory = Callable[..., Awaitable[CompaniesHouseSimulator]]


def active_number(sim: CompaniesHouseSimulator) -> str:
    return next(sim.population.iter_numbers(bulk_status="Active", start=200))


async def rest_profile(
    sim: CompaniesHouseSimulator, http: aiohttp.ClientSession, number: str
) -> dict[str, Any]:
    async with http.get(f"{sim.rest_url}/company/{number}", headers=basic(REST_KEY)) as resp:
        assert resp.status == 200
        body: dict[str, Any] = await resp.json()
        return body


async def replay(
    sim: CompaniesHouseSimulator, http: aiohttp.ClientSession, stream: str, start: int
) -> list[dict[str, Any]]:
    count = sim.stream.logs[stream].next_timepoint - start
    url = f"{sim.stream_url}/{stream}?timepoint={start}"
    async with http.get(url, headers=basic(STREAM_KEY)) as resp:
        assert resp.status == 200
        return [json.loads(line) for line in await read_event_lines(resp, count)]


async def test_compulsory_entry_emits_profile_and_gazette_and_rest_agrees(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim()
    number = active_number(sim)
    before = await rest_profile(sim, http, number)
    assert "company_status_detail" not in before
    companies = sim.stream.logs["companies"].next_timepoint
    filings = sim.stream.logs["filings"].next_timepoint
    async with http.get(f"{sim.stream_url}/companies", headers=basic(STREAM_KEY)) as live:
        transition = sim.stream.enter_strike_off(number, "compulsory", misspelt=False)
        (line,) = await read_event_lines(live, 1)
    profile_event = json.loads(line)
    assert profile_event["resource_id"] == number
    assert profile_event["data"]["company_status"] == "active"
    assert profile_event["data"]["company_status_detail"] == "active-proposal-to-strike-off"
    assert profile_event["event"]["fields_changed"] == ["company_status_detail"]
    (gazette,) = await replay(sim, http, "filings", filings)
    assert gazette["resource_kind"] == "filing-history"
    assert gazette["resource_uri"] == f"/company/{number}/filing-history/{gazette['resource_id']}"
    assert gazette["data"]["category"] == "gazette"
    assert gazette["data"]["type"] == "GAZ1"
    assert gazette["data"]["description"] == "gazette-notice-compulsory"
    assert (await replay(sim, http, "companies", companies))[0] == profile_event

    after = await rest_profile(sim, http, number)
    assert after["company_status_detail"] == "active-proposal-to-strike-off"
    assert after["etag"] == profile_event["data"]["etag"] != before["etag"]
    assert transition.change == "entered"
    assert sim.stream.engine.counters.entered["compulsory"] == 1
    assert number in set(sim.population.strike_off_numbers())


async def test_voluntary_entry_files_ds01_then_gaz1a(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim()
    number = active_number(sim)
    filings = sim.stream.logs["filings"].next_timepoint
    sim.stream.enter_strike_off(number, "voluntary")
    events = await replay(sim, http, "filings", filings)
    assert [
        (e["data"]["type"], e["data"]["category"], e["data"]["description"]) for e in events
    ] == [
        ("DS01", "dissolution", "dissolution-application-strike-off-company"),
        ("GAZ1(A)", "gazette", "gazette-notice-voluntary"),
    ]
    async with http.get(
        f"{sim.rest_url}/company/{number}/filing-history", headers=basic(REST_KEY)
    ) as resp:
        history = await resp.json()
    assert [i["type"] for i in history["items"]] == ["GAZ1(A)", "DS01"]


async def test_misspelt_compulsory_notice(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim()
    transition = sim.stream.enter_strike_off(active_number(sim), "compulsory", misspelt=True)
    assert transition.events[-1].description == "gazette-notice-compulsary"


@pytest.mark.parametrize(
    ("reason", "filing_types"),
    [
        ("brought-up-to-date", ["DISS40"]),
        ("discontinued", ["SOAD(A)"]),
        ("suspended", ["SOAS(A)"]),
        ("compulsory-suspended", ["DISS16(SOAS)"]),
        ("withdrawn", ["DS02", "SOAD(A)"]),
    ],
)
async def test_exit_removes_the_detail_everywhere(
    make_sim: SimFactory, http: aiohttp.ClientSession, reason: str, filing_types: list[str]
) -> None:
    sim = await make_sim()
    number = active_number(sim)
    sim.stream.enter_strike_off(number, "compulsory")
    companies = sim.stream.logs["companies"].next_timepoint
    filings = sim.stream.logs["filings"].next_timepoint
    sim.stream.leave_strike_off(number, reason)
    assert [e["data"]["type"] for e in await replay(sim, http, "filings", filings)] == filing_types
    (event,) = await replay(sim, http, "companies", companies)
    assert "company_status_detail" not in event["data"]
    assert event["data"]["company_status"] == "active"
    profile = await rest_profile(sim, http, number)
    assert "company_status_detail" not in profile
    assert sim.population.company(number) is not None
    assert number not in set(sim.population.strike_off_numbers())


async def test_dissolution_after_strike_off(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim()
    number = next(sim.population.strike_off_numbers())
    facts = sim.population.company(number)
    assert facts is not None
    filings = sim.stream.logs["filings"].next_timepoint
    transition = sim.stream.leave_strike_off(number, "dissolved")
    (gazette,) = await replay(sim, http, "filings", filings)
    expected = (
        "gazette-dissolved-voluntary"
        if facts.strike_off_kind == "voluntary"
        else ("gazette-dissolved-compulsary")
    )
    assert gazette["data"]["description"] == expected
    profile = await rest_profile(sim, http, number)
    assert profile["company_status"] == "dissolved"
    assert "date_of_cessation" in profile
    assert profile["can_file"] is False
    assert transition.strike_off_kind == facts.strike_off_kind


async def test_omit_status_detail_leaves_it_out_of_events_only(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(omit_status_detail=True)
    number = active_number(sim)
    companies = sim.stream.logs["companies"].next_timepoint
    sim.stream.enter_strike_off(number, "compulsory", misspelt=False)
    (event,) = await replay(sim, http, "companies", companies)
    assert "company_status_detail" not in event["data"]
    assert "fields_changed" not in event["event"]
    assert (await rest_profile(sim, http, number))["company_status_detail"] == (
        "active-proposal-to-strike-off"
    )


async def test_invalid_scenarios_are_refused(make_sim: SimFactory) -> None:
    sim = await make_sim()
    number = next(sim.population.strike_off_numbers())
    with pytest.raises(ValueError, match="not an active company"):
        sim.stream.enter_strike_off(number)
    with pytest.raises(ValueError, match="not proposed"):
        sim.stream.leave_strike_off(active_number(sim))
    with pytest.raises(KeyError):
        sim.stream.enter_strike_off("99999998")


async def test_scenarios_over_the_admin_endpoint(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim()
    number = active_number(sim)
    body = {"number": number, "kind": "voluntary"}
    async with http.post(f"{sim.stream_url}/_sim/strike-off", json=body) as resp:
        result = await resp.json()
    assert [e["stream"] for e in result["events"]] == ["filings", "companies", "filings"]
    async with http.post(f"{sim.stream_url}/_sim/leave-strike-off", json={"number": number}) as r:
        assert (await r.json())["kind"] == "discontinued"
    async with http.post(f"{sim.stream_url}/_sim/noise", json={"count": 10}) as resp:
        assert (await resp.json())["emitted"] == 10
    async with http.get(f"{sim.stream_url}/_sim/stats") as resp:
        stats = await resp.json()
    assert stats["counters"]["strike_off_entered"] == {"voluntary": 1}
    assert stats["counters"]["strike_off_left"] == {"discontinued": 1}
    assert sum(stats["counters"]["noise"].values()) == 10
    async with http.post(f"{sim.stream_url}/_sim/strike-off", json={"number": "X"}) as resp:
        assert resp.status == 400


async def test_live_generator_emits_at_the_configured_rate(make_sim: SimFactory) -> None:
    sim = await make_sim(live_rate=200.0)
    await eventually(lambda: sum(sim.stream.engine.counters.events.values()) >= 50, timeout=10)
    sim.stream.stop_live()
