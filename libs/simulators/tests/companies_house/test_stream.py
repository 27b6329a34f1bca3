"""Streaming API: NDJSON, heartbeats, timepoint replay, errors and connection limits (B.1-B.6)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from leadpipe_simulators.companies_house import CompaniesHouseSimulator
from leadpipe_simulators.companies_house.testing import (
    basic_auth as basic,
)
from leadpipe_simulators.companies_house.testing import (
    eventually,
    read_event_lines,
    read_line,
)

REST_KEY = "rest-key-for-tests"
STREAM_KEY = "stream-key-for-tests"
SimFactory = Callable[..., Awaitable[CompaniesHouseSimulator]]


async def test_live_stream_sends_heartbeats_and_events(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim()
    async with http.get(f"{sim.stream_url}/companies", headers=basic(STREAM_KEY)) as resp:
        assert resp.status == 200
        assert await read_line(resp) == b"\n"  # written at once on connect
        assert await read_line(resp) == b"\n"  # then every heartbeat interval
        sim.stream.emit_noise(20)
        emitted = sim.stream.emitted("companies")
        lines = await read_event_lines(resp, emitted)
    events = [json.loads(line) for line in lines]
    timepoints = [e["event"]["timepoint"] for e in events]
    assert timepoints == sorted(timepoints)
    assert len(set(timepoints)) == len(timepoints)
    for event in events:
        assert event["resource_kind"] == "company-profile"
        assert event["resource_uri"] == f"/company/{event['resource_id']}"
        assert event["event"]["type"] in ("changed", "deleted")
        if event["event"]["type"] == "changed":
            assert event["data"]["company_number"] == event["resource_id"]


async def test_timepoint_replay_is_inclusive_then_live(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim()
    sim.stream.generate_backlog(60)
    log = sim.stream.logs["companies"]
    start = log.next_timepoint - 25
    url = f"{sim.stream_url}/companies?timepoint={start}"
    async with http.get(url, headers=basic(STREAM_KEY)) as resp:
        assert resp.status == 200
        replayed = [json.loads(x) for x in await read_event_lines(resp, 25)]
        assert [e["event"]["timepoint"] for e in replayed] == list(range(start, start + 25))
        sim.stream.emit_noise(5)
        fresh = sim.stream.logs["companies"].next_timepoint - start - 25
        live = [json.loads(x) for x in await read_event_lines(resp, fresh)]
        assert live[0]["event"]["timepoint"] == start + 25


@pytest.mark.parametrize("value", ["abc", "-5", "", "1.5", "١٢"])
async def test_bad_timepoint_is_400(
    make_sim: SimFactory, http: aiohttp.ClientSession, value: str
) -> None:
    sim = await make_sim()
    url = f"{sim.stream_url}/companies?timepoint={value}"
    async with http.get(url, headers=basic(STREAM_KEY)) as resp:
        assert resp.status == 400


async def test_timepoint_outside_retained_history_is_416(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(retention=10)
    sim.stream.generate_backlog(30)
    log = sim.stream.logs["companies"]
    assert log.first_retained == log.next_timepoint - 10
    for value in (log.first_retained - 1, log.next_timepoint + 1, 0):
        url = f"{sim.stream_url}/companies?timepoint={value}"
        async with http.get(url, headers=basic(STREAM_KEY)) as resp:
            assert resp.status == 416
    url = f"{sim.stream_url}/companies?timepoint={log.first_retained}"
    async with http.get(url, headers=basic(STREAM_KEY)) as resp:
        assert resp.status == 200
        lines = await read_event_lines(resp, 10)
        assert json.loads(lines[0])["event"]["timepoint"] == log.first_retained


@pytest.mark.parametrize("headers", [{}, basic(REST_KEY), basic("nope")])
async def test_non_stream_keys_are_401(
    make_sim: SimFactory, http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    sim = await make_sim()
    async with http.get(f"{sim.stream_url}/filings", headers=headers) as resp:
        assert resp.status == 401
        assert await resp.json() == {"error": "Invalid Authorization", "type": "ch:service"}


async def test_connection_limit_per_key_is_429(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(max_stream_connections=2)
    first = await http.get(f"{sim.stream_url}/companies", headers=basic(STREAM_KEY))
    second = await http.get(f"{sim.stream_url}/filings", headers=basic(STREAM_KEY))
    try:
        assert (first.status, second.status) == (200, 200)
        async with http.get(f"{sim.stream_url}/officers", headers=basic(STREAM_KEY)) as third:
            assert third.status == 429
    finally:
        first.close()
    # Once a connection goes away its slot is free again.
    await eventually(lambda: len(sim.stream.connections) == 1)
    async with http.get(f"{sim.stream_url}/officers", headers=basic(STREAM_KEY)) as again:
        assert again.status == 200
    second.close()
    assert sim.stream.connection_counts["rejected_429"] == 1


@pytest.mark.parametrize("mode", ["close", "abort"])
async def test_disconnect_on_demand(
    make_sim: SimFactory, http: aiohttp.ClientSession, mode: str
) -> None:
    sim = await make_sim()
    async with http.get(f"{sim.stream_url}/companies", headers=basic(STREAM_KEY)) as resp:
        await read_line(resp)
        await eventually(lambda: len(sim.stream.connections) == 1)
        async with http.post(f"{sim.stream_url}/_sim/disconnect", json={"mode": mode}) as admin:
            assert (await admin.json())["disconnected"] == 1
        ended = False
        try:
            while await read_line(resp):
                pass
            ended = True
        except aiohttp.ClientPayloadError:
            ended = mode == "abort"
        assert ended
    await eventually(lambda: not sim.stream.connections)


async def test_stall_keeps_heartbeats_but_holds_events(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim()
    async with http.post(f"{sim.stream_url}/_sim/faults", json={"kind": "stall", "count": None}):
        pass
    async with http.get(f"{sim.stream_url}/companies", headers=basic(STREAM_KEY)) as resp:
        await read_line(resp)
        sim.stream.generate_backlog(3, strike_off_share=0.0)
        for _ in range(3):
            assert await read_line(resp) == b"\n"
        async with http.delete(f"{sim.stream_url}/_sim/faults"):
            pass
        assert len(await read_event_lines(resp, 3)) == 3


async def test_connect_faults_answer_5xx(make_sim: SimFactory, http: aiohttp.ClientSession) -> None:
    sim = await make_sim()
    fault = {"kind": "status", "status": 504, "count": 1}
    async with http.post(f"{sim.stream_url}/_sim/faults", json=fault):
        pass
    async with http.get(f"{sim.stream_url}/companies", headers=basic(STREAM_KEY)) as resp:
        assert resp.status == 504
    async with http.get(f"{sim.stream_url}/companies", headers=basic(STREAM_KEY)) as resp:
        assert resp.status == 200


async def test_backlog_is_served_in_full_and_counted(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim()
    first = sim.stream.logs["companies"].next_timepoint
    sim.stream.generate_backlog(3_000)
    assert sim.stream.emitted("companies") == 3_000
    url = f"{sim.stream_url}/companies?timepoint={first}"
    async with http.get(url, headers=basic(STREAM_KEY)) as resp:
        lines = await read_event_lines(resp, 3_000, timeout=20)
    events = [json.loads(line) for line in lines]
    assert [e["event"]["timepoint"] for e in events] == list(range(first, first + 3_000))
    formats = {len(e["event"]["published_at"]) for e in events}
    assert formats == {19, 27, 32}  # no zone, Z with micros, +01:00 with micros
    deleted = [e for e in events if e["event"]["type"] == "deleted"]
    assert deleted
    assert all("data" not in e for e in deleted)
    # No-op re-emissions and duplicates: the same etag more than once.
    etags = [e["data"]["etag"] for e in events if "data" in e]
    assert len(set(etags)) < len(etags)
