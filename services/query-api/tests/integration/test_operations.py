"""Jobs, manual triggers, saved searches, outbound webhooks and the audit log."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from aiohttp import web
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Topology
from leadpipe_contracts import Decoder
from leadpipe_contracts.gateway import GatewayRequest
from leadpipe_contracts.jobs import JobCommand, JobProgress, JobState
from leadpipe_testing import poll_until
from query_api import webhooks
from query_api.auth import Role

pytestmark = pytest.mark.integration

T = dt.datetime(2026, 9, 3, 8, 0, tzinfo=dt.UTC)


def key(keys: dict[Role, str], role: Role) -> dict[str, str]:
    return {"X-API-Key": keys[role]}


async def _next_message(subscription: Any) -> bytes:
    message = await subscription.next_msg(timeout=10)
    return bytes(message.data)


async def test_job_commands_go_over_nats_to_the_owning_service(
    http: httpx.AsyncClient,
    keys: dict[Role, str],
    publish: Callable[[Any], Any],
    settle: Callable[[], Any],
    module_nats: NatsClient,
    namespace: str,
) -> None:
    await publish(
        JobProgress(
            event_id="progress-1",
            occurred_at=T,
            job_id="backfill-7",
            job_type="officer-backfill",
            service="officer-fetcher",
            state=JobState.RUNNING,
            sequence=1,
            done=3,
            total=10,
            rate_per_second=1.5,
            eta_seconds=4.7,
        )
    )
    await settle()
    listed = (await http.get("/api/v1/jobs?state=running", headers=key(keys, Role.VIEWER))).json()
    assert any(
        job["job_id"] == "backfill-7" and job["eta_seconds"] == 4.7 for job in listed["items"]
    )

    subject = Topology(namespace).subject("jobs.commands.officer-fetcher")
    subscription = await module_nats.subscribe(subject)
    refused = await http.post("/api/v1/jobs/backfill-7/pause", headers=key(keys, Role.ANALYST))
    assert refused.status_code == 403
    accepted = await http.post("/api/v1/jobs/backfill-7/pause", headers=key(keys, Role.ADMIN))
    assert accepted.status_code == 202
    command = Decoder(JobCommand).decode(await _next_message(subscription))
    assert (command.job_id, command.action, command.service) == (
        "backfill-7",
        "pause",
        "officer-fetcher",
    )
    assert command.requested_by == "admin-user"
    await subscription.unsubscribe()
    missing = await http.post("/api/v1/jobs/nope/cancel", headers=key(keys, Role.ADMIN))
    assert missing.status_code == 404
    await settle()
    detail = (await http.get("/api/v1/jobs/backfill-7", headers=key(keys, Role.VIEWER))).json()
    assert [c["action"] for c in detail["commands"]] == ["pause"]


async def test_manual_triggers_ask_the_gateway_at_normal_priority(
    http: httpx.AsyncClient, keys: dict[Role, str], module_nats: NatsClient, namespace: str
) -> None:
    subscription = await module_nats.subscribe(Topology(namespace).subject("chgw.requests.normal"))
    response = await http.post(
        "/api/v1/companies/09876543/fetch-officers", headers=key(keys, Role.ANALYST)
    )
    assert response.status_code == 202
    request = Decoder(GatewayRequest).decode(await _next_message(subscription))
    assert request.kind == "officer_list"
    assert request.priority == "normal"
    assert request.company_number == "09876543"
    assert request.request_id == response.json()["request_id"]
    await http.post("/api/v1/companies/09876543/process", headers=key(keys, Role.ANALYST))
    profile = Decoder(GatewayRequest).decode(await _next_message(subscription))
    assert profile.kind == "company_profile"
    await subscription.unsubscribe()
    invalid = await http.post(
        "/api/v1/companies/not-a-number/process", headers=key(keys, Role.ANALYST)
    )
    assert invalid.status_code == 422


async def test_saved_searches_belong_to_their_owner(
    http: httpx.AsyncClient, keys: dict[Role, str]
) -> None:
    body = {"name": "north west builders", "params": {"region": ["North West"], "sic": ["41202"]}}
    created = await http.post("/api/v1/saved-searches", json=body, headers=key(keys, Role.ANALYST))
    assert created.status_code == 201
    search_id = created.json()["id"]
    again = await http.post("/api/v1/saved-searches", json=body, headers=key(keys, Role.ANALYST))
    assert again.status_code == 409
    invalid = await http.post(
        "/api/v1/saved-searches",
        json={"name": "x", "params": {"region": ["Atlantis"]}},
        headers=key(keys, Role.ANALYST),
    )
    assert invalid.status_code == 422
    unknown_field = await http.post(
        "/api/v1/saved-searches",
        json={"name": "x", "params": {}, "extra": 1},
        headers=key(keys, Role.ANALYST),
    )
    assert unknown_field.status_code == 422
    mine = (await http.get("/api/v1/saved-searches", headers=key(keys, Role.ANALYST))).json()
    assert [s["name"] for s in mine["items"]] == ["north west builders"]
    assert mine["items"][0]["params"] == {
        "status": "any",
        "region": ["North West"],
        "sic": ["41202"],
        "sic_section": [],
        "postcode_area": [],
    }
    others = (await http.get("/api/v1/saved-searches", headers=key(keys, Role.VIEWER))).json()
    assert others["items"] == []
    gone = await http.delete(f"/api/v1/saved-searches/{search_id}", headers=key(keys, Role.ANALYST))
    assert gone.status_code == 204


async def test_mutating_calls_and_exports_are_audited(
    http: httpx.AsyncClient, keys: dict[Role, str]
) -> None:
    await http.post("/api/v1/companies/01111111/process", headers=key(keys, Role.ANALYST))
    await http.get("/api/v1/exports/companies?format=csv", headers=key(keys, Role.ANALYST))
    await http.get("/api/v1/stats", headers=key(keys, Role.ANALYST))
    entries = (await http.get("/api/v1/audit?limit=50", headers=key(keys, Role.ADMIN))).json()
    paths = [(entry["method"], entry["path"], entry["status"]) for entry in entries["items"]]
    assert ("POST", "/api/v1/companies/01111111/process", 202) in paths
    assert ("GET", "/api/v1/exports/companies", 200) in paths
    assert all(path != "/api/v1/stats" for _, path, _ in paths)
    export = next(e for e in entries["items"] if e["path"] == "/api/v1/exports/companies")
    assert export["actor"] == "analyst-user"
    assert export["query"] == "format=csv"


class Receiver:
    """A webhook receiver on loopback that fails its first ``failures`` deliveries."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.attempts = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self.attempts <= self.failures:
            return web.Response(status=503)
        self.received.append((dict(request.headers), await request.read()))
        return web.Response(status=204)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    target = Receiver(failures=1)
    app = web.Application()
    app.router.add_post("/hook", target.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield target, f"http://127.0.0.1:{port}/hook"
    finally:
        await runner.cleanup()


async def test_webhook_subscribers_get_signed_deliveries_retried_until_accepted(
    http: httpx.AsyncClient,
    keys: dict[Role, str],
    publish: Callable[[Any], Any],
    events: Any,
    receiver: tuple[Receiver, str],
) -> None:
    target, url = receiver
    created = await http.post(
        "/api/v1/webhooks",
        json={"url": url, "events": ["strike_off.entered"]},
        headers=key(keys, Role.ADMIN),
    )
    assert created.status_code == 201
    secret = created.json()["secret"]
    await publish(events.entered("05555555", "HOOKED LTD"))
    await publish(events.left("05555555"))  # not subscribed
    await poll_until(lambda: target.received, timeout=20, message="webhook delivered")
    headers, body = target.received[0]
    assert webhooks.verify(secret, headers["Leadpipe-Signature"], body)
    assert not webhooks.verify("another secret", headers["Leadpipe-Signature"], body)
    payload = json.loads(body)
    assert payload["type"] == "strike_off.entered"
    assert payload["data"]["company_number"] == "05555555"
    assert target.attempts == 2  # the first attempt got a 503 and was retried
    subscription_id = created.json()["id"]
    deliveries = (
        await http.get(
            f"/api/v1/webhooks/{subscription_id}/deliveries", headers=key(keys, Role.ADMIN)
        )
    ).json()["items"]
    assert [(d["kind"], d["status"], d["attempts"]) for d in deliveries] == [
        ("strike_off.entered", "delivered", 2)
    ]
