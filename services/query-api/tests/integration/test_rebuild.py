"""Replaying every event into an empty read model gives the same API answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Topology
from leadpipe_contracts import derive_id
from leadpipe_contracts.crm import ContactSynced, ContactSyncFailed
from leadpipe_contracts.jobs import JobProgress, JobState
from leadpipe_contracts.privacy import PrivacyErasureCompleted, PrivacyErasureRequested
from leadpipe_contracts.status import CreditStatus, DeadLetter, GatewayStatus, StreamStatus
from leadpipe_runtime import Service
from leadpipe_testing import poll_until
from query_api.auth import Role
from query_api.bootstrap import definition
from query_api.rebuild import RebuildRefused, rebuild
from query_api.settings import Settings

pytestmark = pytest.mark.integration

T = dt.datetime(2026, 9, 2, 12, 0, tzinfo=dt.UTC)
QUERIES = [
    "/api/v1/companies?limit=500",
    "/api/v1/companies?sort=name&order=asc&limit=2",
    "/api/v1/companies?sort=lead_score&limit=500",
    "/api/v1/companies?status=left&limit=500",
    "/api/v1/companies?q=acme&limit=500",
    "/api/v1/companies/01000001",
    "/api/v1/companies/01000002",
    "/api/v1/companies/01000003",
    "/api/v1/companies/01000001/officers",
    "/api/v1/companies/01000002/officers",
    "/api/v1/leads?limit=500",
    "/api/v1/stats",
    "/api/v1/analytics/transitions?from=2026-08-01&to=2026-10-01",
    "/api/v1/analytics/transitions?interval=month&from=2026-08-01&to=2026-10-01",
    "/api/v1/analytics/sectors",
    "/api/v1/analytics/regions",
    "/api/v1/analytics/usage",
    "/api/v1/status",
    "/api/v1/jobs",
    "/api/v1/jobs/import-1",
    "/api/v1/privacy/erasures",
    "/api/v1/privacy/suppressions",
]


def history(events: Any) -> list[Any]:
    """A little of everything, including facts that arrive out of order."""
    return [
        events.observed("01000001", "ACME WIDGETS LTD", postcode="M1 1AE", minutes=10),
        # An older profile arriving later must not overwrite the newer one.
        events.observed("01000001", "ACME OLD NAME LTD", postcode="B1 1AA", minutes=5),
        events.entered("01000001", "ACME WIDGETS LTD", minutes=11),
        events.officers("01000001", [("o1", "SMITH, John"), ("o2", "JONES, Mary Ann")]),
        events.domain("01000001", "ACME WIDGETS LTD", "acme.example"),
        events.contact("01000001", "ACME WIDGETS LTD", "o1", "John", "Smith", "js@acme.example"),
        events.contact(
            "01000001", "ACME WIDGETS LTD", "o2", "Mary", "Jones", "mj@acme.example", score=70
        ),
        events.observed("01000002", "BETA BUILDERS LIMITED", postcode="EH1 1AA", sic=("41202",)),
        events.entered("01000002", "BETA BUILDERS LIMITED", minutes=30),
        events.left("01000002", minutes=60),
        events.officers("01000002", [("o3", "BROWN, Alan")]),
        events.domain("01000002", "BETA BUILDERS LIMITED", None),
        events.entered("01000003", "CHARLIE CAFE LTD", minutes=40),
        ContactSynced(
            event_id="crm-1",
            occurred_at=T,
            contact_key="01000001:o1",
            company_number="01000001",
            crm_contact_id="ghl-1",
            created=True,
            payload_hash="h1",
        ),
        ContactSyncFailed(
            event_id="crm-2",
            occurred_at=T,
            contact_key="01000001:o2",
            company_number="01000001",
            status_code=422,
            reason="email rejected",
        ),
        JobProgress(
            event_id="job-a",
            occurred_at=T,
            job_id="import-1",
            job_type="bulk-import",
            service="stream-ingest",
            state=JobState.RUNNING,
            sequence=2,
            done=50,
            total=100,
            rate_per_second=10.0,
            eta_seconds=5.0,
        ),
        # An older progress report arriving later is ignored.
        JobProgress(
            event_id="job-b",
            occurred_at=T,
            job_id="import-1",
            job_type="bulk-import",
            service="stream-ingest",
            state=JobState.RUNNING,
            sequence=1,
            done=10,
            total=100,
        ),
        StreamStatus(event_id="st-1", occurred_at=T, stream="companies", state="connected"),
        GatewayStatus(
            event_id="gw-1",
            occurred_at=T,
            limit=600,
            window_seconds=300,
            used_in_window=120,
            breaker="closed",
        ),
        CreditStatus(
            event_id="cr-1",
            occurred_at=T,
            period="2026-09",
            budget=5000,
            reserved=10,
            charged=400,
            paused=False,
        ),
        DeadLetter(
            event_id=derive_id("dl", 1),
            occurred_at=T,
            consumer="crm-sync-contacts",
            stream="CONTACTS",
            subject="contacts.found",
            stream_sequence=7,
            data=b"{}",
            deliveries=8,
            error="gave up",
        ),
        PrivacyErasureRequested(
            event_id="privacy:req-1",
            occurred_at=T,
            request_id="req-1",
            officer_id="o3",
            requested_by="admin",
        ),
        PrivacyErasureCompleted(
            event_id="done-1",
            occurred_at=T,
            request_id="req-1",
            service="crm-sync",
            records_erased=0,
        ),
    ]


async def answers(http: httpx.AsyncClient, key: str) -> dict[str, Any]:
    found = {}
    for path in QUERIES:
        response = await http.get(path, headers={"X-API-Key": key})
        assert response.status_code == 200, (path, response.text)
        found[path] = response.json()
    return found


async def test_replaying_every_event_into_an_empty_read_model_gives_identical_answers(
    settings: Settings,
    service: Service[Settings],
    http: httpx.AsyncClient,
    keys: dict[Role, str],
    publish: Callable[[Any], Any],
    settle: Callable[[], Any],
    events: Any,
    module_nats: NatsClient,
    namespace: str,
) -> None:
    for event in history(events):
        await publish(event)
    await settle()
    # query-api's own erasure completion travels through NATS too.
    await poll_until(
        lambda: service.db.pool.fetchval("SELECT count(*) FROM erasure_completions"),
        message="erasure completions projected",
    )
    await poll_until(lambda: _count(service, "erasure_completions", 2), message="both completions")
    await settle()
    before = await answers(http, keys[Role.ADMIN])
    assert before["/api/v1/companies/01000001"]["company_name"] == "ACME WIDGETS LTD"
    assert before["/api/v1/companies/01000001"]["region"] == "North West"
    assert before["/api/v1/jobs/import-1"]["done"] == 50
    assert before["/api/v1/companies/01000002/officers"]["items"] == []  # erased (o3)

    js = module_nats.jetstream()
    topology = Topology(namespace)
    with pytest.raises(RebuildRefused):
        await rebuild(js, service.db, topology)
    await service.stop()

    replayed = Service(definition, settings)
    await replayed.db.open()
    try:
        await rebuild(js, replayed.db, topology)
        assert await replayed.db.pool.fetchval("SELECT count(*) FROM companies") == 0
        assert await replayed.db.pool.fetchval("SELECT count(*) FROM officers") == 0
    finally:
        await replayed.db.close()
    replayed = Service(definition, settings)
    await replayed.start()
    try:
        await settle()
        after = await answers(http, keys[Role.ADMIN])
    finally:
        await replayed.stop()
    for path in QUERIES:
        assert after[path] == before[path], path


async def _count(service: Service[Settings], table: str, expected: int) -> bool:
    count = await service.db.pool.fetchval(f"SELECT count(*) FROM {table}")
    return bool(count == expected)
