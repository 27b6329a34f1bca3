"""Data-subject access, erasure from the read model with per-service completion, suppression."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Publisher, Topology
from leadpipe_contracts import Decoder
from leadpipe_contracts.privacy import (
    PrivacyErasureCompleted,
    PrivacyErasureRequested,
    PrivacySuppressionLiftCompleted,
    PrivacySuppressionLifted,
)
from leadpipe_testing import poll_until
from query_api.auth import Role

pytestmark = pytest.mark.integration

NUMBER = "04000001"
NAME = "HOTEL HOLDINGS LTD"


async def test_erasure_removes_the_person_publishes_the_request_and_tracks_each_service(
    http: httpx.AsyncClient,
    keys: dict[Role, str],
    publish: Callable[[Any], Any],
    settle: Callable[[], Any],
    events: Any,
    module_nats: NatsClient,
    namespace: str,
) -> None:
    admin = {"X-API-Key": keys[Role.ADMIN]}
    await publish(events.entered(NUMBER, NAME))
    await publish(events.officers(NUMBER, [("o9", "DOE, Jane"), ("o8", "ROE, Richard")]))
    await publish(events.contact(NUMBER, NAME, "o9", "Jane", "Doe", "Jane@Hotel.example"))
    await publish(events.contact(NUMBER, NAME, "o8", "Richard", "Roe", "rr@hotel.example"))
    await settle()

    access = (
        await http.get(
            "/api/v1/privacy/subject?officer_id=o9&email=jane@hotel.example", headers=admin
        )
    ).json()
    assert [record["name"] for record in access["officer_records"]] == ["DOE, Jane"]
    assert [contact["email"] for contact in access["contacts"]] == ["Jane@Hotel.example"]
    assert len(access["feed_entries"]) == 1
    assert access["retention_days"] == 90
    by_name = (
        await http.get(
            f"/api/v1/privacy/subject?name=Jane+Doe&company_number={NUMBER}", headers=admin
        )
    ).json()
    assert [record["officer_id"] for record in by_name["officer_records"]] == ["o9"]

    topology = Topology(namespace)
    requests = await module_nats.subscribe(topology.subject("privacy.erasure.requested"))
    response = await http.post(
        "/api/v1/privacy/erasures",
        json={"officer_id": "o9", "email": "jane@hotel.example"},
        headers=admin,
    )
    assert response.status_code == 202
    request_id = response.json()["request_id"]
    services = response.json()["services"]
    assert {"query-api", "crm-sync", "officer-fetcher", "snov-enricher"} <= set(services)
    published = Decoder(PrivacyErasureRequested).decode(
        bytes((await requests.next_msg(timeout=10)).data)
    )
    assert (published.request_id, published.officer_id) == (request_id, "o9")
    await requests.unsubscribe()
    lifts = await module_nats.subscribe(topology.subject("privacy.suppression.lifted"))

    async def erased() -> bool:
        status = await http.get(f"/api/v1/privacy/erasures/{request_id}", headers=admin)
        return status.status_code == 200 and status.json()["services"]["query-api"] is not None

    await poll_until(erased, timeout=20, message="query-api completed the erasure")
    officers = (await http.get(f"/api/v1/companies/{NUMBER}/officers", headers=admin)).json()
    assert [officer["officer_id"] for officer in officers["items"]] == ["o8"]
    detail = (await http.get(f"/api/v1/companies/{NUMBER}", headers=admin)).json()
    assert [contact["email"] for contact in detail["contacts"]] == ["rr@hotel.example"]
    assert detail["officer_count"] == 1
    assert detail["contact_count"] == 1
    leads = (await http.get("/api/v1/leads?limit=500", headers=admin)).json()["items"]
    assert all(
        "hotel.example" not in lead["email"].lower() or lead["email"] == "rr@hotel.example"
        for lead in leads
    )
    after = (
        await http.get(
            "/api/v1/privacy/subject?officer_id=o9&email=jane@hotel.example", headers=admin
        )
    ).json()
    assert after["officer_records"] == []
    assert after["contacts"] == []
    assert after["feed_entries"] == []
    assert [entry["request_id"] for entry in after["erasure_requests"]] == [request_id]

    status = (await http.get(f"/api/v1/privacy/erasures/{request_id}", headers=admin)).json()
    assert status["services"]["query-api"]["records_erased"] == 3  # officer, contact, feed entry
    assert status["complete"] is False
    assert status["identifiers"] == ["officer_id", "email"]
    assert "o9" not in str(status), "kept as fingerprints"
    assert "jane" not in str(status).lower(), "kept as fingerprints"
    early = await http.delete(f"/api/v1/privacy/suppressions/{request_id}", headers=admin)
    assert early.status_code == 409, "a lift may not overtake the erasure"
    publisher = Publisher(module_nats.jetstream(), topology, "other-services")
    for service in services:
        if service != "query-api":
            await publisher.publish(
                PrivacyErasureCompleted(
                    event_id=f"done:{request_id}:{service}",
                    occurred_at=dt.datetime.now(dt.UTC),
                    request_id=request_id,
                    service=service,
                    records_erased=1,
                )
            )
    await settle()
    status = (await http.get(f"/api/v1/privacy/erasures/{request_id}", headers=admin)).json()
    assert status["complete"] is True

    # Suppressed: newer facts about the person do not bring them back.
    await publish(events.officers(NUMBER, [("o9", "DOE, Jane"), ("o8", "ROE, Richard")]))
    await publish(events.contact(NUMBER, NAME, "o9", "Jane", "Doe", "jane@hotel.example"))
    await settle()
    officers = (await http.get(f"/api/v1/companies/{NUMBER}/officers", headers=admin)).json()
    assert [officer["officer_id"] for officer in officers["items"]] == ["o8"]
    detail = (await http.get(f"/api/v1/companies/{NUMBER}", headers=admin)).json()
    assert [contact["email"] for contact in detail["contacts"]] == ["rr@hotel.example"]
    mine = {"email": "JANE@hotel.example"}
    suppressed = (
        await http.get("/api/v1/privacy/suppressions", params=mine, headers=admin)
    ).json()["items"]
    assert [(s["request_id"], s["identifiers"]) for s in suppressed] == [
        (request_id, ["officer_id", "email"])
    ]
    other = {"officer_id": "o8"}
    assert (await http.get("/api/v1/privacy/suppressions", params=other, headers=admin)).json()[
        "items"
    ] == []

    # Lifting: the request leaves the suppression list, each service confirms, and the next
    # fact about the person is kept again (nothing erased comes back by itself).
    lifted = await http.delete(f"/api/v1/privacy/suppressions/{request_id}", headers=admin)
    assert lifted.status_code == 202
    lifters = lifted.json()["services"]
    assert {"query-api", "crm-sync", "officer-fetcher", "snov-enricher"} == set(lifters)
    sent = Decoder(PrivacySuppressionLifted).decode(bytes((await lifts.next_msg(timeout=10)).data))
    assert sent.request_id == request_id
    for service in lifters:
        if service != "query-api":
            await publisher.publish(
                PrivacySuppressionLiftCompleted(
                    event_id=f"lifted:{request_id}:{service}",
                    occurred_at=dt.datetime.now(dt.UTC),
                    request_id=request_id,
                    service=service,
                    suppressions_removed=2,
                )
            )
    await settle()
    status = (await http.get(f"/api/v1/privacy/erasures/{request_id}", headers=admin)).json()
    assert status["suppressed"] is False
    assert status["lift"]["complete"] is True
    assert status["lift"]["services"]["query-api"]["suppressions_removed"] == 1
    assert (await http.get("/api/v1/privacy/suppressions", params=mine, headers=admin)).json()[
        "items"
    ] == []
    await publish(events.contact(NUMBER, NAME, "o9", "Jane", "Doe", "jane@hotel.example"))
    await settle()
    detail = (await http.get(f"/api/v1/companies/{NUMBER}", headers=admin)).json()
    assert sorted(contact["email"] for contact in detail["contacts"]) == [
        "jane@hotel.example",
        "rr@hotel.example",
    ]
    retention = (await http.get("/api/v1/privacy/retention", headers=admin)).json()
    assert retention["retention_days"] == 90


async def test_erasure_requests_need_an_identifier(
    http: httpx.AsyncClient, keys: dict[Role, str]
) -> None:
    admin = {"X-API-Key": keys[Role.ADMIN]}
    for body in ({}, {"company_number": NUMBER}, {"email": "not-an-email"}, {"name": "  "}):
        response = await http.post("/api/v1/privacy/erasures", json=body, headers=admin)
        assert response.status_code == 422, body
