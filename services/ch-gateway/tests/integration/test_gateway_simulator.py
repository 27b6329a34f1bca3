"""ch-gateway against the Companies House simulator on an accelerated window, with real NATS
JetStream and Postgres."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from leadpipe_contracts import Decoder
from leadpipe_contracts.gateway import Priority, RequestKind, ResponseStatus
from leadpipe_contracts.status import GatewayStatus
from leadpipe_testing import poll_until

from .conftest import KEY, GatewayFactory, Requests, Responses, SimulatorFactory

pytestmark = pytest.mark.integration


async def test_requests_are_answered_through_the_simulator_and_bad_ones_never_reach_it(
    simulator: SimulatorFactory,
    gateway: GatewayFactory,
    requests: Requests,
    responses: Responses,
    nats_client: NatsClient,
    namespace: str,
) -> None:
    statuses: list[GatewayStatus] = []
    decoder: Decoder[GatewayStatus] = Decoder(GatewayStatus)

    async def on_status(message: Msg) -> None:
        statuses.append(decoder.decode(message.data))

    await nats_client.subscribe(f"{namespace}.status.gateway", cb=on_status)
    sim = await simulator(rate_limit=100, rate_window=3.0)
    numbers = list(sim.population.iter_numbers())
    big = numbers[0]
    sim.population.force_officer_count(big, 250)
    await gateway(sim.rest_url, ch_rate_limit=100, ch_rate_window_seconds=3.0)

    officers = await requests.send(RequestKind.OFFICER_LIST, company_number=big)
    profile = await requests.send(company_number=numbers[1].lower(), priority=Priority.HIGH)
    missing = await requests.send(company_number="99999999")
    bad_number = await requests.send(company_number="12345")
    bad_kind = await requests.send(RequestKind.GET, path="/../../etc/passwd")
    await poll_until(lambda: len(responses) == 5, timeout=15, message="five responses")

    listed = responses.by_request[officers]
    assert listed.status is ResponseStatus.OK
    assert listed.calls == 3
    assert len(json.loads(bytes(listed.body))["items"]) == 250
    officer_calls = [r for r in sim.rest.requests.records if r.path.endswith("/officers")]
    assert len(officer_calls) == 3
    assert all("items_per_page=100" in r.query for r in officer_calls)

    fetched = responses.by_request[profile]
    assert fetched.status is ResponseStatus.OK
    assert fetched.etag
    assert json.loads(bytes(fetched.body))["company_number"] == numbers[1]
    assert responses.by_request[missing].status is ResponseStatus.NOT_FOUND
    for refused in (bad_number, bad_kind):
        assert responses.by_request[refused].status is ResponseStatus.FAILED
        assert responses.by_request[refused].calls == 0
    status = await poll_until(
        lambda: next((st for st in reversed(statuses) if st.used_in_window >= 5), None),
        timeout=5,
        message="a GatewayStatus counting the calls",
    )
    assert status.limit == 100
    assert status.breaker == "closed"
    assert set(status.queue_depth) == {"high", "normal", "low"}
    paths = {r.path for r in sim.rest.requests.records}
    assert not any("12345" in p and "99999999" not in p for p in paths)
    assert len(sim.rest.requests) == 3 + 1 + 1


async def test_malformed_upstream_json_and_duplicate_requests(
    simulator: SimulatorFactory, gateway: GatewayFactory, requests: Requests, responses: Responses
) -> None:
    from leadpipe_simulators.companies_house import Fault

    sim = await simulator(rate_limit=100, rate_window=3.0)
    numbers = list(sim.population.iter_numbers())
    sim.rest.faults.add(Fault("malformed_json", count=1, path_prefix=f"/company/{numbers[5]}"))
    # Published before the gateway starts: all three are pending together.
    twins = [await requests.send(company_number=numbers[6]) for _ in range(3)]
    broken = await requests.send(company_number=numbers[5])
    await gateway(sim.rest_url, ch_rate_limit=100, ch_rate_window_seconds=3.0)
    await poll_until(lambda: len(responses) == 4, timeout=15, message="four responses")
    assert responses.by_request[broken].status is ResponseStatus.FAILED
    assert "malformed JSON" in (responses.by_request[broken].reason or "")
    assert {responses.by_request[t].status for t in twins} == {ResponseStatus.OK}
    assert len([r for r in sim.rest.requests.records if r.path.endswith(numbers[6])]) == 1


@pytest.mark.slow
async def test_two_thousand_queued_requests_cause_no_429(
    simulator: SimulatorFactory, gateway: GatewayFactory, requests: Requests, responses: Responses
) -> None:
    limit, window = 400, 2.0
    sim = await simulator(rate_limit=limit, rate_window=window)
    numbers = list(sim.population.iter_numbers())[:2_000]
    await requests.send_many([{"company_number": n} for n in numbers])
    await gateway(
        sim.rest_url,
        ch_rate_limit=limit,
        ch_rate_window_seconds=window,
        ch_rate_guard=40,
        queue_limit_low=256,
    )
    await poll_until(
        lambda: len(responses) == 2_000, timeout=40, interval=0.2, message="2,000 responses"
    )
    log = sim.rest.requests
    assert log.count(429) == 0
    # Stricter than the server's fixed window: no 2-second span of arrivals holds more than
    # the limit. The guard (10 %) covers arrival jitter of an in-process simulator at 200 calls/s.
    assert log.max_in_window(window) <= limit
    assert len(log) == 2_000
    assert {r.status for r in responses.by_request.values()} == {ResponseStatus.OK}


async def _lock_out(url: str, calls: int) -> None:
    token = base64.b64encode(f"{KEY}:".encode()).decode()
    async with aiohttp.ClientSession(headers={"Authorization": f"Basic {token}"}) as session:
        for _ in range(calls):
            async with session.get(f"{url}/company/00000000") as response:
                await response.read()


async def test_after_a_forced_429_nothing_reaches_the_simulator_before_reset(
    simulator: SimulatorFactory, gateway: GatewayFactory, requests: Requests, responses: Responses
) -> None:
    limit, window = 20, 3.0
    sim = await simulator(rate_limit=limit, rate_window=window)
    numbers = list(sim.population.iter_numbers())
    await _lock_out(sim.rest_url, limit + 1)  # another client of the key spent the window
    await gateway(sim.rest_url, ch_rate_limit=limit, ch_rate_window_seconds=window, ch_rate_guard=2)
    ids = [await requests.send(company_number=n, priority=Priority.HIGH) for n in numbers[:5]]
    await poll_until(lambda: len(responses) == 5, timeout=15, message="answers after the reset")

    records = sim.rest.requests.records
    reset = records[0].time + window  # the key's window began with the other client's calls
    from_gateway = records[limit + 1 :]
    limited = [r for r in from_gateway if r.status == 429]
    # At most the calls already on their way when the first 429 came back (the burst)...
    assert 1 <= len(limited) <= 2
    # ...and nothing else before the reset: the breaker held every request back.
    assert all(r.time >= reset for r in from_gateway if r.status != 429)
    assert {responses.by_request[i].status for i in ids} == {ResponseStatus.OK}


async def test_high_priority_requests_overtake_a_large_low_priority_backlog(
    simulator: SimulatorFactory, gateway: GatewayFactory, requests: Requests, responses: Responses
) -> None:
    limit, window = 60, 3.0
    sim = await simulator(rate_limit=limit, rate_window=window)
    numbers = list(sim.population.iter_numbers())
    await requests.send_many([{"company_number": n} for n in numbers[:1_000]])
    await gateway(sim.rest_url, ch_rate_limit=limit, ch_rate_window_seconds=window)
    await poll_until(lambda: len(responses) >= 30, timeout=10, message="low backlog moving")
    loop = asyncio.get_running_loop()
    sent = loop.time()
    urgent = [
        await requests.send(company_number=n, priority=Priority.HIGH) for n in numbers[2000:2005]
    ]
    await poll_until(
        lambda: all(u in responses.by_request for u in urgent),
        timeout=window + 2,
        message="urgent answers",
    )
    waits = [responses.arrived[u] - sent for u in urgent]
    assert max(waits) <= window
    assert len(responses) < 200  # the low backlog is still far from drained


def _gateway_process(
    nats_url: str,
    database_url: str,
    namespace: str,
    api_url: str,
    ops_port: int,
    log: Path,
    **settings: str,
) -> subprocess.Popen[bytes]:
    env = (
        dict(os.environ)
        | {
            "LEADPIPE_NATS_URL": nats_url,
            "LEADPIPE_DATABASE_URL": database_url,
            "LEADPIPE_NAMESPACE": namespace,
            "LEADPIPE_OPS_PORT": str(ops_port),
            "LEADPIPE_CH_API_URL": api_url,
            "LEADPIPE_CH_API_KEY": KEY,
            "LEADPIPE_CH_RATE_LIMIT": "60",
            "LEADPIPE_CH_RATE_WINDOW_SECONDS": "2",
            "LEADPIPE_LEASE_POLL_SECONDS": "0.2",
            "LEADPIPE_LOG_LEVEL": "WARNING",
        }
        | {f"LEADPIPE_{name.upper()}": value for name, value in settings.items()}
    )
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "ch_gateway"], env=env, stdout=sink, stderr=subprocess.STDOUT
        )


async def _role_of(port: int) -> str | None:
    url = f"http://127.0.0.1:{port}/readyz"
    with contextlib.suppress(aiohttp.ClientError, OSError):
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            body = await response.json()
            detail = body.get("checks", {}).get("lease", {}).get("detail")
            return str(detail) if detail else None
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
async def test_two_gateway_processes_share_one_budget_and_the_standby_takes_over_a_killed_leader(
    simulator: SimulatorFactory,
    requests: Requests,
    responses: Responses,
    nats_url: str,
    database_url: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    limit, window = 60, 2.0
    sim = await simulator(rate_limit=limit, rate_window=window)
    numbers = list(sim.population.iter_numbers())
    ports = [_free_port(), _free_port()]
    processes = [
        _gateway_process(
            nats_url, database_url, namespace, sim.rest_url, port, tmp_path / f"{i}.log"
        )
        for i, port in enumerate(ports)
    ]
    try:
        await poll_until(lambda: _roles(ports), timeout=30, message="one leader and one standby")
        roles = {port: await _role_of(port) for port in ports}
        leader = next(i for i, port in enumerate(ports) if roles[port] == "leader")
        standby = 1 - leader
        await requests.send_many([{"company_number": n} for n in numbers[:600]])
        await poll_until(lambda: len(responses) >= 100, timeout=15, message="leader working")
        processes[leader].send_signal(signal.SIGKILL)
        processes[leader].wait()
        killed_at = time.monotonic()
        calls_at_kill = len(sim.rest.requests)

        async def standby_leads() -> bool:
            return await _role_of(ports[standby]) == "leader"

        await poll_until(standby_leads, timeout=10, message="standby takes over")
        took_over = time.monotonic() - killed_at
        await poll_until(
            lambda: len(sim.rest.requests) >= calls_at_kill + limit,
            timeout=15,
            message="the new leader calling",
        )
        log = sim.rest.requests
        assert took_over < 5.0
        assert log.count(429) == 0
        assert log.max_in_window(window) <= limit
    finally:
        _stop(processes)


async def _roles(ports: list[int]) -> bool:
    roles = sorted([str(await _role_of(port)) for port in ports])
    return roles == ["leader", "standby"]


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.mark.slow
async def test_the_requests_a_killed_leader_held_are_answered_by_the_standby_within_seconds(
    simulator: SimulatorFactory,
    requests: Requests,
    responses: Responses,
    nats_client: NatsClient,
    nats_url: str,
    database_url: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    from leadpipe_bus import Topology
    from leadpipe_simulators.companies_house import Fault

    sim = await simulator(rate_limit=60, rate_window=2.0)
    numbers = list(sim.population.iter_numbers())
    # The leader's first two calls hang, so with two calls at a time it holds every request.
    sim.rest.faults.add(Fault("latency", count=2, delay=5.0))
    ports = [_free_port(), _free_port()]
    processes = [
        _gateway_process(
            nats_url,
            database_url,
            namespace,
            sim.rest_url,
            port,
            tmp_path / f"{i}.log",
            max_in_flight="2",
        )
        for i, port in enumerate(ports)
    ]
    try:
        await poll_until(lambda: _roles(ports), timeout=30, message="one leader and one standby")
        roles = {port: await _role_of(port) for port in ports}
        leader = next(i for i, port in enumerate(ports) if roles[port] == "leader")
        ids = await requests.send_many([{"company_number": n} for n in numbers[:20]])
        topology = Topology(namespace)
        spec = topology.consumer("ch-gateway", "low")
        js = nats_client.jetstream()

        async def all_held() -> bool:
            info = await js.consumer_info(topology.stream_name(spec.stream), topology.durable(spec))
            return bool(info.num_ack_pending == 20)

        await poll_until(all_held, timeout=10, message="the leader holding all 20 requests")
        await poll_until(
            lambda: sim.rest.faults.injected.get("latency") == 2,
            timeout=10,
            message="the leader's two calls under way",
        )
        assert len(responses) == 0
        processes[leader].send_signal(signal.SIGKILL)
        processes[leader].wait()
        killed_at = time.monotonic()
        await poll_until(
            lambda: all(i in responses.by_request for i in ids),
            timeout=30,
            interval=0.2,
            message="every held request answered by the new leader",
        )
        # The broker gives a dead consumer's deliveries back after the gateway's short ack
        # wait (seconds), not a minute later.
        assert time.monotonic() - killed_at < 15.0
        assert {responses.by_request[i].status for i in ids} == {ResponseStatus.OK}
        assert sim.rest.requests.count(429) == 0
    finally:
        _stop(processes)
