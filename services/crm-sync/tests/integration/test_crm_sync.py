"""crm-sync on real NATS and Postgres against the GoHighLevel simulator."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import msgspec
import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from crm_sync.bootstrap import definition
from crm_sync.settings import Settings
from leadpipe_bus import Publisher, Topology, apply_topology
from leadpipe_contracts import Address, derive_id, utcnow
from leadpipe_contracts.companies import LeftReason, Source, StrikeOffLeft
from leadpipe_contracts.enrichment import CompanySummary, ContactFound, OfficerSummary
from leadpipe_contracts.privacy import PrivacyErasureRequested
from leadpipe_runtime import Secret, Service, Status
from leadpipe_simulators.ghl import GhlConfig, GhlSimulator
from leadpipe_testing import poll_until

pytestmark = pytest.mark.integration

TOKEN = "pit-crm-sync-test"
LOCATION = "loc-crm-sync"


def lead(
    number: int,
    *,
    email: str | None = None,
    company: str = "09000001",
    event_id: str | None = None,
) -> ContactFound:
    officer_id = f"officer-{number}"
    return ContactFound(
        event_id=event_id or derive_id("contact", company, officer_id),
        occurred_at=utcnow(),
        contact_key=f"{company}:{officer_id}",
        company=CompanySummary(
            company_number=company,
            company_name="Brightwater Analytics Ltd",
            domain="brightwater.example",
            address=Address(
                premises="12",
                address_line_1="High Street",
                locality="Leeds",
                postal_code="LS1 4AB",
                country="England",
            ),
            strike_off_kind="voluntary",
            strike_off_entered_on=dt.date(2026, 11, 3),
            lead_score=71.5,
        ),
        officer=OfficerSummary(
            officer_id=officer_id,
            first_name="Maria",
            last_name=f"LINDQVIST{number}",
            role="director",
        ),
        email=email or f"maria{number}@brightwater.example",
        smtp_status="valid",
    )


@pytest.fixture
async def ghl() -> AsyncIterator[GhlSimulator]:
    simulator = GhlSimulator(GhlConfig(tokens={TOKEN: LOCATION}))
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def js(nats_client: NatsClient, namespace: str) -> JetStreamContext:
    context = nats_client.jetstream()
    await apply_topology(context, Topology(namespace), consumers=())
    return context


@pytest.fixture
def publisher(js: JetStreamContext, namespace: str) -> Publisher:
    return Publisher(js, Topology(namespace), "test")


def settings_for(
    nats_url: str, database_url: str, namespace: str, ghl: GhlSimulator, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "nats_url": nats_url,
        "database_url": Secret(database_url),
        "namespace": namespace,
        "ops_port": 0,
        "shutdown_grace_seconds": 2,
        "ghl_api_url": ghl.url,
        "ghl_token": Secret(TOKEN),
        "ghl_location_id": LOCATION,
        "ghl_backoff_base_seconds": 0.05,
        "ghl_backoff_max_seconds": 0.4,
        "ghl_auth_retry_seconds": 0.3,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
async def service_factory(
    nats_url: str, database_url: str, namespace: str, ghl: GhlSimulator
) -> AsyncIterator[Any]:
    started: list[Service[Settings]] = []

    async def start(**overrides: Any) -> Service[Settings]:
        running = Service(
            definition, settings_for(nats_url, database_url, namespace, ghl, **overrides)
        )
        await running.start()
        started.append(running)
        return running

    yield start
    for running in started:
        await running.stop()


def upserts(ghl: GhlSimulator) -> int:
    return sum(1 for record in ghl.request_log.records("/contacts/upsert") if record.status == 200)


async def caught_up(js: JetStreamContext, namespace: str, stream: str, durable: str) -> bool:
    info = await js.consumer_info(f"{namespace.upper()}_{stream}", f"{namespace}-{durable}")
    return info.num_pending == 0 and info.num_ack_pending == 0


async def dead_letters(js: JetStreamContext, namespace: str) -> int:
    info = await js.stream_info(f"{namespace.upper()}_DEADLETTER")
    return int(info.state.messages)


async def outbox_types(pg_connection: asyncpg.Connection, namespace: str) -> list[str]:
    rows = await pg_connection.fetch(
        f"SELECT headers->>'Leadpipe-Event-Type' AS type FROM \"{namespace}_crm_sync\".outbox"
        " ORDER BY id"
    )
    return [row["type"] for row in rows]


async def test_duplicate_deliveries_and_a_replay_produce_one_contact(
    service_factory: Any,
    ghl: GhlSimulator,
    publisher: Publisher,
    js: JetStreamContext,
    namespace: str,
    pg_connection: asyncpg.Connection,
) -> None:
    service = await service_factory()
    event = lead(1)
    await publisher.publish(event)
    await publisher.publish(event, msg_id="redelivered-by-a-retrying-producer")
    await publisher.publish(lead(1, event_id="re-derived-with-another-id"))
    await poll_until(
        lambda: caught_up(js, namespace, "CONTACTS", "crm-sync-contacts"),
        timeout=20,
        message="three deliveries handled",
    )
    assert ghl.count_by_email(event.email, LOCATION) == 1
    assert upserts(ghl) == 1
    contact = ghl.contacts_by_email(event.email, LOCATION)[0]
    assert contact["companyName"] == "Brightwater Analytics Ltd"
    assert contact["lastName"] == "Lindqvist1"
    assert contact["website"] == "https://brightwater.example"
    assert contact["country"] == "GB"
    assert set(contact["tags"]) == {"strike-off", "leadpipe", "strike-off-voluntary"}
    field_ids = {field.name: field.id for field in ghl.custom_fields(LOCATION)}
    values = {item["id"]: item["value"] for item in contact["customFields"]}
    assert values[field_ids["Company Number"]] == "09000001"
    assert values[field_ids["Officer Role"]] == "director"
    assert values[field_ids["Strike-off Date"]] == "2026-11-03"

    # Replay: the durable consumer is recreated and redelivers the whole stream.
    await service.stop()
    await js.delete_consumer(f"{namespace.upper()}_CONTACTS", f"{namespace}-crm-sync-contacts")
    await service_factory()
    await poll_until(
        lambda: caught_up(js, namespace, "CONTACTS", "crm-sync-contacts"),
        timeout=20,
        message="replay handled",
    )
    assert ghl.count_by_email(event.email, LOCATION) == 1
    assert upserts(ghl) == 1
    assert await outbox_types(pg_connection, namespace) == ["crm.contact.synced.v1"]


async def test_a_429_storm_is_ridden_out_without_losing_a_contact(
    service_factory: Any,
    ghl: GhlSimulator,
    publisher: Publisher,
    js: JetStreamContext,
    namespace: str,
) -> None:
    # A short server window keeps the test quick: the client honours the window the
    # X-RateLimit-Interval-Milliseconds header reports after a 429 with nothing remaining.
    ghl.set_rate_limits(burst_interval=0.25)
    await service_factory()
    ghl.storm_429(seconds=2.0)
    leads = [lead(number) for number in range(12)]
    for event in leads:
        await publisher.publish(event)
    await poll_until(
        lambda: len(ghl.contacts(LOCATION)) == len(leads), timeout=30, message="every lead synced"
    )
    await poll_until(lambda: caught_up(js, namespace, "CONTACTS", "crm-sync-contacts"), timeout=10)
    assert ghl.ghl_faults.storms_served >= 3
    assert all(ghl.count_by_email(event.email, LOCATION) == 1 for event in leads)
    assert await dead_letters(js, namespace) == 0


async def test_the_pacer_keeps_inside_the_locations_burst_limit(
    service_factory: Any,
    ghl: GhlSimulator,
    publisher: Publisher,
    js: JetStreamContext,
    namespace: str,
) -> None:
    # 10 calls per 0.5 s of real time on the server; the client budgets 9 per 0.5 s.
    ghl.set_rate_limits(burst_limit=10, burst_interval=0.5)
    await service_factory(ghl_burst_limit=9, ghl_burst_interval_seconds=0.5)
    leads = [lead(number) for number in range(15)]
    for event in leads:
        await publisher.publish(event)
    await poll_until(lambda: caught_up(js, namespace, "CONTACTS", "crm-sync-contacts"), timeout=30)
    assert len(ghl.contacts(LOCATION)) == len(leads)
    assert ghl.request_log.by_status.get(429, 0) == 0


async def test_a_422_is_recorded_against_its_contact_and_does_not_block_others(
    service_factory: Any,
    ghl: GhlSimulator,
    publisher: Publisher,
    js: JetStreamContext,
    namespace: str,
    pg_connection: asyncpg.Connection,
) -> None:
    bad = lead(0, email="refused@brightwater.example")
    ghl.reject_email(bad.email, "email is on a blocklist")
    await service_factory()
    good = [lead(number) for number in range(1, 4)]
    await publisher.publish(bad)
    for event in good:
        await publisher.publish(event)
    await poll_until(lambda: caught_up(js, namespace, "CONTACTS", "crm-sync-contacts"), timeout=20)
    assert {contact["email"] for contact in ghl.contacts(LOCATION)} == {e.email for e in good}
    row = await pg_connection.fetchrow(
        f'SELECT status, failed_status, failed_reason FROM "{namespace}_crm_sync".contacts'
        " WHERE contact_key = $1",
        bad.contact_key,
    )
    assert row is not None
    assert (row["status"], row["failed_status"]) == ("failed", 422)
    assert row["failed_reason"] == "email is on a blocklist"
    assert await dead_letters(js, namespace) == 0
    types = await outbox_types(pg_connection, namespace)
    assert types.count("crm.contact.failed.v1") == 1
    assert types.count("crm.contact.synced.v1") == 3


async def test_erasure_deletes_the_contact_and_suppresses_the_person(
    service_factory: Any,
    ghl: GhlSimulator,
    publisher: Publisher,
    js: JetStreamContext,
    namespace: str,
    pg_connection: asyncpg.Connection,
) -> None:
    await service_factory()
    event, other = lead(1), lead(2)
    await publisher.publish(event)
    await publisher.publish(other)
    await poll_until(lambda: len(ghl.contacts(LOCATION)) == 2, timeout=20)
    await publisher.publish(
        PrivacyErasureRequested(
            event_id="erasure-1",
            occurred_at=utcnow(),
            request_id="request-1",
            email=event.email.upper(),
            requested_by="dpo@leadpipe.example",
        )
    )
    await poll_until(
        lambda: ghl.count_by_email(event.email, LOCATION) == 0, timeout=20, message="deleted"
    )
    await poll_until(lambda: caught_up(js, namespace, "PRIVACY", "crm-sync-privacy"), timeout=10)
    types = await outbox_types(pg_connection, namespace)
    assert types.count("crm.contact.deleted.v1") == 0, "no event names the erased contact"
    assert types.count("privacy.erasure.completed.v1") == 1

    # The person found again (e.g. re-enriched) is never synced again; others still are.
    await publisher.publish(lead(1, event_id="found-again"))
    await publisher.publish(lead(3))
    await poll_until(lambda: ghl.count_by_email(lead(3).email, LOCATION) == 1, timeout=20)
    await poll_until(lambda: caught_up(js, namespace, "CONTACTS", "crm-sync-contacts"), timeout=10)
    assert ghl.count_by_email(event.email, LOCATION) == 0
    assert ghl.count_by_email(other.email, LOCATION) == 1
    stored = await pg_connection.fetchval(
        f'SELECT count(*) FROM "{namespace}_crm_sync".contacts WHERE contact_key = $1',
        event.contact_key,
    )
    assert stored == 0


async def test_a_republished_lead_updates_its_one_contact_and_a_late_older_one_is_ignored(
    service_factory: Any,
    ghl: GhlSimulator,
    publisher: Publisher,
    js: JetStreamContext,
    namespace: str,
) -> None:
    await service_factory()
    first = lead(1)
    before_kind = msgspec.structs.replace(
        first,
        company=msgspec.structs.replace(first.company, strike_off_kind=None, lead_score=55.0),
    )
    await publisher.publish(before_kind)
    await poll_until(lambda: ghl.count_by_email(first.email, LOCATION) == 1, timeout=20)
    assert "strike-off-voluntary" not in ghl.contacts_by_email(first.email, LOCATION)[0]["tags"]
    # snov-enricher publishes the lead again once the kind and a new score are known.
    republished = msgspec.structs.replace(
        first,
        event_id="found-with-kind",
        occurred_at=before_kind.occurred_at + dt.timedelta(seconds=1),
        company=msgspec.structs.replace(first.company, lead_score=63.0),
    )
    await publisher.publish(republished)
    await poll_until(lambda: upserts(ghl) == 2, timeout=20, message="the second upsert")
    # The first publication redelivered late (e.g. after a retry) must not undo the second.
    await publisher.publish(before_kind, msg_id="redelivered-late")
    await poll_until(
        lambda: caught_up(js, namespace, "CONTACTS", "crm-sync-contacts"),
        timeout=20,
        message="all three handled",
    )
    assert upserts(ghl) == 2
    assert ghl.count_by_email(first.email, LOCATION) == 1
    contact = ghl.contacts_by_email(first.email, LOCATION)[0]
    assert {"strike-off", "leadpipe", "strike-off-voluntary"} <= set(contact["tags"])
    field_ids = {field.name: field.id for field in ghl.custom_fields(LOCATION)}
    values = {item["id"]: item["value"] for item in contact["customFields"]}
    assert values[field_ids["Lead Score"]] == 63.0


async def test_strike_off_left_tags_the_contact_and_keeps_other_tags(
    service_factory: Any,
    ghl: GhlSimulator,
    publisher: Publisher,
    js: JetStreamContext,
    namespace: str,
) -> None:
    await service_factory()
    event = lead(1)
    await publisher.publish(event)
    await poll_until(lambda: ghl.count_by_email(event.email, LOCATION) == 1, timeout=20)
    contact = ghl.contact_store.get(ghl.contacts_by_email(event.email, LOCATION)[0]["id"])
    assert contact is not None
    ghl.contact_store.add_tags(contact, ["hot-lead"], ghl.clock.now())  # a salesperson's tag
    await publisher.publish(
        StrikeOffLeft(
            event_id="left-1",
            occurred_at=utcnow(),
            company_number=event.company.company_number,
            source=Source.STREAM,
            reason=LeftReason.DISCONTINUED,
            observed_at=utcnow(),
        )
    )
    await poll_until(
        lambda: "strike-off-left" in ghl.contacts_by_email(event.email, LOCATION)[0]["tags"],
        timeout=20,
        message="contact tagged",
    )
    tags = set(ghl.contacts_by_email(event.email, LOCATION)[0]["tags"])
    assert {"hot-lead", "strike-off", "strike-off-voluntary"} <= tags


async def test_a_refused_token_holds_messages_until_it_works_again(
    service_factory: Any,
    ghl: GhlSimulator,
    publisher: Publisher,
    js: JetStreamContext,
    namespace: str,
) -> None:
    ghl.revoke_token(TOKEN)
    service = await service_factory()
    leads = [lead(number) for number in range(3)]
    for event in leads:
        await publisher.publish(event)

    async def degraded() -> bool:
        checks = await service.health.readiness()
        return checks["gohighlevel"].status is Status.DEGRADED and "token" in (
            checks["gohighlevel"].detail or ""
        )

    await poll_until(degraded, timeout=10, message="health degraded")
    await poll_until(lambda: ghl.request_log.by_status.get(401, 0) >= 3, timeout=10)
    assert ghl.contacts(LOCATION) == []
    ghl.add_token(TOKEN, LOCATION)
    await poll_until(lambda: len(ghl.contacts(LOCATION)) == 3, timeout=20, message="synced")
    await poll_until(lambda: caught_up(js, namespace, "CONTACTS", "crm-sync-contacts"), timeout=10)
    assert await dead_letters(js, namespace) == 0
    assert (await service.health.readiness())["gohighlevel"].status is Status.OK


async def test_server_errors_are_retried_and_the_lead_still_arrives_once(
    service_factory: Any,
    ghl: GhlSimulator,
    publisher: Publisher,
    js: JetStreamContext,
    namespace: str,
) -> None:
    await service_factory(ghl_server_error_attempts=2)
    await poll_until(lambda: len(ghl.custom_fields(LOCATION)) == 4, timeout=10)
    ghl.fail_next(3, 503)  # more than one delivery's tries: the broker redelivers
    event = lead(1)
    await publisher.publish(event)
    await poll_until(lambda: ghl.count_by_email(event.email, LOCATION) == 1, timeout=30)
    await poll_until(lambda: caught_up(js, namespace, "CONTACTS", "crm-sync-contacts"), timeout=10)
    assert ghl.request_log.by_status[503] == 3
    assert await dead_letters(js, namespace) == 0
