"""The gateway engine with fakes of its own ports: upstream, call log, publisher, tickets."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping

import pytest

from ch_gateway.adapters.lease import LeaseLost
from ch_gateway.adapters.upstream import Reply, TransportFailure
from ch_gateway.domain import RequestView
from ch_gateway.gateway import Gateway
from ch_gateway.settings import Settings
from leadpipe_contracts.gateway import GatewayResponse, Priority, ResponseStatus
from leadpipe_runtime import Secret
from leadpipe_testing import poll_until

Route = Callable[[str, Mapping[str, str]], Reply]


def ok(body: object, headers: Mapping[str, str] | None = None) -> Reply:
    return Reply(200, dict(headers or {}), json.dumps(body).encode())


def profile_route(path: str, params: Mapping[str, str]) -> Reply:
    return ok({"company_number": path.rsplit("/", 1)[-1], "etag": "e-" + path[-8:]})


class FakeUpstream:
    def __init__(self, route: Route = profile_route) -> None:
        self.route = route
        self.calls: list[tuple[float, str, dict[str, str]]] = []
        self.gate: asyncio.Event | None = None

    async def get(self, path: str, params: Mapping[str, str]) -> Reply:
        self.calls.append((time.time(), path, dict(params)))
        if self.gate is not None:
            await self.gate.wait()
        return self.route(path, params)


class FakeLog:
    def __init__(self) -> None:
        self.calls: list[float] = []
        self.lockout: tuple[float, str] | None = None
        self.broken = False
        self.gate: asyncio.Event | None = None
        self.writes = 0

    async def record(self, times: list[float]) -> None:
        self.writes += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.broken:
            raise LeaseLost("session gone")
        self.calls.extend(times)

    async def load(self, since: float) -> list[float]:
        return [c for c in self.calls if c > since]

    async def save_breaker(self, open_until: float, reason: str) -> None:
        self.lockout = (open_until, reason)

    async def load_breaker(self) -> tuple[float, str] | None:
        return self.lockout


@dataclasses.dataclass
class FakeTicket:
    sequence: int
    deliveries: int = 1
    acked: bool = False
    released: bool = False
    retried: list[str] = dataclasses.field(default_factory=list)

    async def ack(self) -> None:
        self.acked = True

    async def release(self) -> None:
        self.released = True

    async def retry_later(self, reason: str) -> None:
        self.retried.append(reason)

    async def in_progress(self) -> None:
        pass


@dataclasses.dataclass
class Harness:
    gateway: Gateway
    upstream: FakeUpstream
    log: FakeLog
    responses: list[GatewayResponse]
    sequence: int = 0
    publish_gate: asyncio.Event | None = None

    async def request(
        self, kind: str = "company_profile", priority: Priority = Priority.HIGH, **fields: str
    ) -> FakeTicket:
        self.sequence += 1
        fields.setdefault("request_id", f"r{self.sequence}")
        ticket = FakeTicket(self.sequence)
        view = RequestView(kind=kind, event_id=f"e{self.sequence}", **fields)  # type: ignore[arg-type]
        await self.gateway.admit(view, priority, ticket, time.time())
        return ticket

    def response(self, request_id: str) -> GatewayResponse | None:
        return next((r for r in self.responses if r.request_id == request_id), None)

    async def answered(self, request_id: str, timeout: float = 5.0) -> GatewayResponse:
        return await poll_until(
            lambda: self.response(request_id), timeout=timeout, message=f"answer to {request_id}"
        )


Make = Callable[..., "Harness"]


def settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "ch_api_key": Secret("k-123456"),
        "ch_rate_limit": 1000,
        "ch_rate_window_seconds": 60.0,
        "ch_rate_guard": 0,
        "ch_rate_slices": 1,
        "retry_base_seconds": 0.01,
        "retry_cap_seconds": 0.02,
        "rate_limit_margin_seconds": 0.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def make() -> AsyncIterator[Callable[..., Harness]]:
    tasks: list[asyncio.Task[None]] = []

    def build(upstream: FakeUpstream | None = None, **overrides: object) -> Harness:
        responses: list[GatewayResponse] = []

        async def publish(response: GatewayResponse) -> None:
            if harness.publish_gate is not None:
                await harness.publish_gate.wait()
            responses.append(response)

        upstream = upstream or FakeUpstream()
        log = FakeLog()
        gateway = Gateway(settings(**overrides), upstream=upstream, call_log=log, publish=publish)
        tasks.append(asyncio.create_task(gateway.run()))
        harness = Harness(gateway, upstream, log, responses)
        return harness

    yield build
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_profile_request_is_answered_with_the_upstream_document(make: Make) -> None:
    h = make()
    await h.gateway.become_leader()
    ticket = await h.request(company_number="sc123456", request_id="p1")
    response = await h.answered("p1")
    assert response.status is ResponseStatus.OK
    assert response.calls == 1
    assert json.loads(bytes(response.body))["company_number"] == "SC123456"
    assert response.etag == "e-SC123456"
    assert ticket.acked
    assert len(h.log.calls) == 1


async def test_malformed_requests_are_failed_without_any_upstream_call(make: Make) -> None:
    h = make()
    await h.gateway.become_leader()
    await h.request(company_number="123", request_id="bad-number")
    await h.request(kind="psc", company_number="00445790", request_id="bad-kind")
    await h.request(kind="get", path="https://elsewhere/x", request_id="bad-path")
    for request_id in ("bad-number", "bad-kind", "bad-path"):
        response = await h.answered(request_id)
        assert response.status is ResponseStatus.FAILED
        assert response.reason
    assert h.upstream.calls == []
    assert h.log.calls == []


async def test_duplicate_pending_requests_share_one_upstream_call(make: Make) -> None:
    upstream = FakeUpstream()
    upstream.gate = asyncio.Event()
    h = make(upstream)
    await h.gateway.become_leader()
    await h.request(company_number="00445790", request_id="a", priority=Priority.LOW)
    await poll_until(lambda: upstream.calls, message="first call")
    await h.request(company_number="00445790", request_id="b", priority=Priority.HIGH)
    upstream.gate.set()
    first, second = await h.answered("a"), await h.answered("b")
    assert len(upstream.calls) == 1
    assert first.body == second.body
    assert first.event_id != second.event_id


async def test_a_250_officer_company_costs_exactly_three_calls(make: Make) -> None:
    def officers(path: str, params: Mapping[str, str]) -> Reply:
        start, size = int(params["start_index"]), int(params["items_per_page"])
        items = [{"name": f"O{i}"} for i in range(start, min(start + size, 250))]
        return ok({"etag": "list", "items": items, "total_results": 250, "start_index": start})

    h = make(FakeUpstream(officers))
    await h.gateway.become_leader()
    await h.request(kind="officer_list", company_number="00445790", request_id="o")
    response = await h.answered("o")
    assert response.calls == 3
    assert len(h.upstream.calls) == 3
    assert [c[2]["start_index"] for c in h.upstream.calls] == ["0", "100", "200"]
    assert len(json.loads(bytes(response.body))["items"]) == 250


async def test_404_is_a_not_found_response(make: Make) -> None:
    h = make(FakeUpstream(lambda path, params: Reply(404, {}, b'{"errors": []}')))
    await h.gateway.become_leader()
    await h.request(company_number="00000000", request_id="nf")
    response = await h.answered("nf")
    assert response.status is ResponseStatus.NOT_FOUND
    assert response.upstream_status == 404


async def test_malformed_upstream_json_is_a_failed_response(make: Make) -> None:
    h = make(FakeUpstream(lambda path, params: Reply(200, {}, b'{"company_number": "0000')))
    await h.gateway.become_leader()
    await h.request(company_number="00000001", request_id="mj")
    response = await h.answered("mj")
    assert response.status is ResponseStatus.FAILED
    assert "malformed JSON" in (response.reason or "")


async def test_server_errors_are_retried_with_backoff_then_failed(make: Make) -> None:
    failures = iter([503, 502])

    def flaky(path: str, params: Mapping[str, str]) -> Reply:
        status = next(failures, 200)
        return Reply(status, {}, b"<html/>") if status != 200 else profile_route(path, params)

    h = make(FakeUpstream(flaky))
    await h.gateway.become_leader()
    await h.request(company_number="00000001", request_id="retry")
    response = await h.answered("retry")
    assert response.status is ResponseStatus.OK
    assert response.calls == 3

    def down(path: str, params: Mapping[str, str]) -> Reply:
        raise TransportFailure("timed out after 10s")

    h2 = make(FakeUpstream(down), max_attempts=3, breaker_failures=100)
    await h2.gateway.become_leader()
    await h2.request(company_number="00000001", request_id="down")
    failed = await h2.answered("down")
    assert failed.status is ResponseStatus.FAILED
    assert "3 attempts" in (failed.reason or "")
    assert failed.calls == 3


async def test_401_fails_requests_loudly_and_stops_calling(make: Make) -> None:
    h = make(FakeUpstream(lambda p, q: Reply(401, {}, b'{"error": "Invalid Authorization"}')))
    await h.gateway.become_leader()
    await h.request(company_number="00000001", request_id="u1")
    first = await h.answered("u1")
    assert first.status is ResponseStatus.FAILED
    assert "LEADPIPE_CH_API_KEY" in (first.reason or "")
    await h.request(company_number="00000002", request_id="u2")
    second = await h.answered("u2")
    assert second.upstream_status == 401
    assert len(h.upstream.calls) == 1


async def test_after_a_429_nothing_is_called_before_reset_and_requests_wait(make: Make) -> None:
    reset = int(time.time()) + 2
    answers = iter([429])
    limited_at: list[float] = []

    def limited(path: str, params: Mapping[str, str]) -> Reply:
        if next(answers, 200) == 429:
            limited_at.append(time.time())
            return Reply(429, {"x-ratelimit-reset": str(reset), "x-ratelimit-remain": "0"}, b"{}")
        return profile_route(path, params)

    h = make(FakeUpstream(limited))
    await h.gateway.become_leader()
    first = await h.request(company_number="00000001", request_id="l1")
    await poll_until(lambda: limited_at, message="the 429")
    await h.request(company_number="00000002", request_id="l2")
    response = await h.answered("l1", timeout=6)
    await h.answered("l2")
    later = [at for at, _, _ in h.upstream.calls if at > limited_at[0]]
    assert later
    assert all(at >= reset for at in later)
    assert response.status is ResponseStatus.OK
    assert first.acked
    assert not first.retried
    assert h.log.lockout is not None
    assert h.log.lockout[0] >= reset


async def test_high_priority_overtakes_a_low_priority_backlog(make: Make) -> None:
    h = make(ch_rate_limit=4, ch_rate_window_seconds=1.0)
    await h.gateway.become_leader()
    for n in range(12):
        await h.request(company_number=f"{n:08d}", request_id=f"low{n}", priority=Priority.LOW)
    await poll_until(lambda: len(h.upstream.calls) == 4, message="the window's budget spent")
    await h.request(company_number="SC000001", request_id="urgent", priority=Priority.HIGH)
    await h.answered("urgent", timeout=5)
    assert [c[1] for c in h.upstream.calls][4] == "/company/SC000001"
    assert all(path.startswith("/company/0000") for _, path, _ in h.upstream.calls[:4])


async def test_a_standby_gives_requests_back_and_a_lost_lease_stops_calls(make: Make) -> None:
    h = make()
    ticket = await h.request(company_number="00000001", request_id="s1")
    assert ticket.released
    assert h.upstream.calls == []
    await h.gateway.become_leader()
    h.log.broken = True
    queued = await h.request(company_number="00000002", request_id="s2")
    await poll_until(lambda: not h.gateway.leader, message="step down")
    assert queued.released
    assert h.upstream.calls == []


async def test_a_new_leader_starts_from_the_persisted_calls_and_lockout(make: Make) -> None:
    h = make(ch_rate_limit=3, ch_rate_window_seconds=30.0)
    now = time.time()
    h.log.calls = [now - 1, now - 1, now - 1]
    await h.gateway.become_leader()
    assert h.gateway.limiter.next_allowed(now) >= now + 28
    h2 = make()
    h2.log.lockout = (now + 50, "rate_limited")
    await h2.gateway.become_leader()
    assert h2.gateway.breaker_state().value == "open"


async def test_no_call_is_made_before_its_slot_is_in_the_call_log(make: Make) -> None:
    h = make(ch_rate_limit=50, ch_rate_window_seconds=5.0, ch_rate_slices=5)
    await h.gateway.become_leader()
    h.log.gate = asyncio.Event()
    recorded_at_call: list[int] = []
    route = h.upstream.route

    def checked(path: str, params: Mapping[str, str]) -> Reply:
        recorded_at_call.append(len(h.log.calls))
        return route(path, params)

    h.upstream.route = checked
    for n in range(30):
        await h.request(company_number=f"{n:08d}", request_id=f"q{n}", priority=Priority.LOW)
    await poll_until(lambda: h.log.writes, message="a slot write under way")
    assert h.upstream.calls == []
    h.log.gate.set()
    await poll_until(lambda: len(h.responses) == 30, timeout=10, message="every answer")
    # Every call found at least as many persisted slots as calls made up to it.
    assert all(rows >= index + 1 for index, rows in enumerate(recorded_at_call))
    # A new leader counts the persisted slots: no fresh burst.
    successor = make(ch_rate_limit=50, ch_rate_window_seconds=5.0, ch_rate_slices=5)
    successor.log.calls = list(h.log.calls)
    await successor.gateway.become_leader()
    assert successor.gateway.limiter.used(time.time()) >= 30


async def test_a_slow_response_publish_does_not_hold_a_call_slot(make: Make) -> None:
    h = make(max_in_flight=1)
    h.publish_gate = asyncio.Event()
    await h.gateway.become_leader()
    for n in range(5):
        await h.request(company_number=f"{n:08d}", request_id=f"s{n}")
    # All five calls go out one after the other while no response is acknowledged yet.
    await poll_until(lambda: len(h.upstream.calls) == 5, message="five calls")
    assert h.responses == []
    h.publish_gate.set()
    for n in range(5):
        assert (await h.answered(f"s{n}")).status is ResponseStatus.OK
