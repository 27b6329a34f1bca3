"""Erasure across the composed pipeline: a director who became a GoHighLevel contact is erased
through query-api's HTTP API and disappears from every service's schema and from the CRM, every
service confirms, later facts about them are not enriched or synced, and lifting the suppression
lets the next new fact about them through again.

All seven services run in-process on real NATS and Postgres with every simulator, in one
namespace; "every schema" is every Postgres schema of that namespace, read table by table.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest
from nats.aio.client import Client as NatsClient
from pipeline import LOCATION, Pipeline, read_stream

from leadpipe_bus import Publisher, Topology
from leadpipe_contracts import Event
from leadpipe_contracts.enrichment import ContactFound
from leadpipe_contracts.officers import Officer, OfficersListed
from leadpipe_db import quote_ident
from leadpipe_simulators.snov import TaskType
from leadpipe_testing import poll_until
from query_api.adapters.access import AccessStore
from query_api.auth import Role

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(300)]

COMPANIES = 4
SERVICE_SCHEMAS = (
    "stream_ingest",
    "ch_gateway",
    "officer_fetcher",
    "snov_enricher",
    "webhook_receiver",
    "crm_sync",
    "query_api",
)


@pytest.fixture
async def pipeline(nats_url: str, database_url: str, namespace: str) -> AsyncIterator[Pipeline]:
    running = Pipeline(seed=23, with_query_api=True)
    try:
        await running.start(nats_url, database_url, namespace)
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def api(pipeline: Pipeline) -> AsyncIterator[httpx.AsyncClient]:
    assert pipeline.query_api is not None
    _, key = await AccessStore(pipeline.query_api.db).create_key(
        "privacy officer", Role.ADMIN, owner="dpo"
    )
    headers = {"X-API-Key": key}
    base = f"http://127.0.0.1:{pipeline.http_port}"
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=10) as client:
        yield client


@dataclasses.dataclass(frozen=True)
class Person:
    """Everything that identifies the director under erasure, in each form it is stored in."""

    officer_id: str
    email: str
    first_name: str
    last_name: str
    listed_name: str  # Companies House's "SURNAME, Forenames"
    forenames: str
    surname: str
    company_number: str

    def needles(self) -> set[str]:
        return {
            text.lower()
            for text in (
                self.officer_id,
                self.email,
                self.listed_name,
                f"{self.first_name} {self.last_name}",
                f"{self.forenames} {self.surname}",
                f"{self.first_name}|{self.last_name}|",  # snov-enricher's search key
            )
        }

    def named_in(self, values: list[str]) -> bool:
        """Whether a row's values identify the person: an identifier anywhere in it, or the
        first and last name as two of its values (as in a ``first_name, last_name`` row)."""
        lowered = [value.lower() for value in values]
        if any(needle in value for value in lowered for needle in self.needles()):
            return True
        pairs = ((self.first_name, self.last_name), (self.forenames, self.surname))
        return any(first.lower() in lowered and last.lower() in lowered for first, last in pairs)


async def rows_naming(
    connection: asyncpg.Connection, namespace: str, person: Person
) -> dict[str, list[str]]:
    """Per schema of the namespace, the tables with rows that identify the person."""
    found: dict[str, list[str]] = {}
    schemas = [f"{namespace}_{name}" for name in SERVICE_SCHEMAS]
    present = await connection.fetch(
        "SELECT schema_name FROM information_schema.schemata WHERE schema_name = ANY($1::text[])",
        schemas,
    )
    assert sorted(row["schema_name"] for row in present) == sorted(schemas), "a schema is missing"
    for schema in schemas:
        tables = await connection.fetch(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name",
            schema,
        )
        for table in (row["table_name"] for row in tables):
            columns = await connection.fetch(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = $1 AND table_name = $2",
                schema,
                table,
            )
            values = ", ".join(
                f"convert_from({quote_ident(c['column_name'])}, 'UTF8')"
                if c["data_type"] == "bytea"
                else f"{quote_ident(c['column_name'])}::text"
                for c in columns
            )
            rows = await connection.fetch(
                f"SELECT ARRAY[{values}] AS v FROM {quote_ident(schema)}.{quote_ident(table)}"  # noqa: S608 - names from the catalogue
            )
            if any(person.named_in([v for v in row["v"] if v is not None]) for row in rows):
                found.setdefault(schema.removeprefix(f"{namespace}_"), []).append(table)
    return found


async def idle(nats_client: NatsClient, connection: asyncpg.Connection, namespace: str) -> bool:
    """Every consumer of the namespace has acknowledged everything, every outbox is empty."""
    topology = Topology(namespace)
    js = nats_client.jetstream()
    for spec in topology.consumers:
        info = await js.consumer_info(topology.stream_name(spec.stream), topology.durable(spec))
        if info.num_pending or info.num_ack_pending:
            return False
    for name in SERVICE_SCHEMAS:
        unpublished = await connection.fetchval(
            f"SELECT count(*) FROM {quote_ident(f'{namespace}_{name}')}.outbox"  # noqa: S608 - test schema
            " WHERE published_at IS NULL"
        )
        if unpublished:
            return False
    return True


async def settle(nats_client: NatsClient, connection: asyncpg.Connection, namespace: str) -> None:
    """Wait until the pipeline has nothing left to do (twice in a row, so no hop is between)."""

    async def quiet() -> bool:
        return await idle(nats_client, connection, namespace) and await idle(
            nats_client, connection, namespace
        )

    await poll_until(quiet, timeout=60, message="the pipeline settled")


def copy_of(event: Event) -> Event:
    """The same fact under a new event id, as a replay through another producer would send it."""
    return msgspec.structs.replace(event, event_id=f"replayed-{uuid.uuid4().hex}")


async def test_erasure_reaches_every_schema_and_the_crm_and_suppresses_until_lifted(
    pipeline: Pipeline,
    api: httpx.AsyncClient,
    nats_client: NatsClient,
    pg_connection: asyncpg.Connection,
    namespace: str,
) -> None:
    prefix = namespace.upper()
    numbers = pipeline.ch.population.strike_off_candidates(COMPANIES)
    for number in numbers:
        pipeline.ch.stream.enter_strike_off(number, "voluntary")

    async def leads_in_crm() -> list[ContactFound] | None:
        found: list[ContactFound] = await read_stream(
            nats_client, f"{prefix}_CONTACTS", ContactFound
        )
        in_crm = {c["email"] for c in pipeline.ghl.contacts(LOCATION)}
        emails = {lead.email.lower() for lead in found}
        if not found or not emails <= in_crm:
            return None
        return found if await idle(nats_client, pg_connection, namespace) else None

    found = await poll_until(leads_in_crm, timeout=120, message="leads reached the CRM")
    lead = next(lead for lead in found if lead.officer.officer_id)
    listed: list[OfficersListed] = await read_stream(
        nats_client, f"{prefix}_OFFICERS", OfficersListed
    )
    number = lead.company.company_number
    original_list = next(e for e in listed if e.company_number == number)
    officer: Officer = next(
        o for o in original_list.officers if o.officer_id == lead.officer.officer_id
    )
    person = Person(
        officer_id=lead.officer.officer_id or "",
        email=lead.email,
        first_name=lead.officer.first_name,
        last_name=lead.officer.last_name,
        listed_name=officer.name,
        forenames=officer.forenames or lead.officer.first_name,
        surname=officer.surname or lead.officer.last_name,
        company_number=number,
    )
    others = {c["email"] for c in pipeline.ghl.contacts(LOCATION)} - {person.email.lower()}
    assert pipeline.ghl.count_by_email(person.email, LOCATION) == 1

    # Before: the person is in the schemas of the services that handle people (which also
    # shows that the search below finds what it looks for), and subject access shows them.
    before = await rows_naming(pg_connection, namespace, person)
    assert {"officer_fetcher", "snov_enricher", "crm_sync", "query_api"} <= set(before), before
    subject = {"officer_id": person.officer_id, "email": person.email}
    access = (await api.get("/api/v1/privacy/subject", params=subject)).json()
    assert [r["officer_id"] for r in access["officer_records"]] == [person.officer_id]
    assert [c["email"] for c in access["contacts"]] == [person.email]

    # Erasure through the HTTP API, confirmed by every service.
    requested = await api.post(
        "/api/v1/privacy/erasures",
        json={
            "officer_id": person.officer_id,
            "email": person.email,
            "name": f"{person.first_name} {person.last_name}",
            "company_number": number,
        },
    )
    assert requested.status_code == 202
    request_id = requested.json()["request_id"]
    expected = {
        "crm-sync",
        "officer-fetcher",
        "query-api",
        "snov-enricher",
        "stream-ingest",
        "webhook-receiver",
    }
    assert set(requested.json()["services"]) == expected

    async def completed() -> dict[str, Any] | None:
        status = await api.get(f"/api/v1/privacy/erasures/{request_id}")
        body: dict[str, Any] = status.json()
        return body if status.status_code == 200 and body["complete"] else None

    status = await poll_until(completed, timeout=60, message="every service completed")
    assert set(status["services"]) == expected
    assert all(status["services"][name] is not None for name in expected)
    for holder in ("crm-sync", "officer-fetcher", "query-api", "snov-enricher"):
        assert status["services"][holder]["records_erased"] >= 1, holder
    await settle(nats_client, pg_connection, namespace)

    assert pipeline.ghl.count_by_email(person.email, LOCATION) == 0, "still in GoHighLevel"
    assert {c["email"] for c in pipeline.ghl.contacts(LOCATION)} == others, "others untouched"
    assert await rows_naming(pg_connection, namespace, person) == {}
    access = (await api.get("/api/v1/privacy/subject", params=subject)).json()
    assert (access["officer_records"], access["contacts"], access["feed_entries"]) == ([], [], [])

    # Later facts about the person: Companies House lists them again, and the old officer list
    # and lead come round again as new messages. Nothing is stored, enriched or synced.
    tasks_before = len(pipeline.snov.tasks())
    fetched_at = (
        f"SELECT officers_fetched_at FROM {quote_ident(f'{namespace}_officer_fetcher')}.companies"  # noqa: S608 - test schema
        " WHERE company_number = $1"
    )
    previous = await pg_connection.fetchval(fetched_at, number)
    triggered = await api.post(f"/api/v1/companies/{number}/fetch-officers")
    assert triggered.status_code == 202

    async def refetched() -> bool:
        return bool(await pg_connection.fetchval(fetched_at, number) > previous)

    await poll_until(refetched, timeout=60, message="officer-fetcher stored a fresh list")
    publisher = Publisher(nats_client.jetstream(), Topology(namespace), "privacy-test")
    await publisher.publish(copy_of(original_list))
    await publisher.publish(copy_of(lead))
    await settle(nats_client, pg_connection, namespace)
    assert await rows_naming(pg_connection, namespace, person) == {}
    assert pipeline.ghl.count_by_email(person.email, LOCATION) == 0
    searched = [
        (row.first_name.lower(), row.last_name.lower())
        for task in pipeline.snov.tasks()[tasks_before:]
        if task.task_type is TaskType.EMAILS
        for row in task.rows
    ]
    assert (person.first_name.lower(), person.last_name.lower()) not in searched
    suppressed = await api.get("/api/v1/privacy/suppressions", params={"email": person.email})
    assert [item["request_id"] for item in suppressed.json()["items"]] == [request_id]

    # Lifting the suppression reaches every service that enforces it ...
    lifted = await api.delete(f"/api/v1/privacy/suppressions/{request_id}")
    assert lifted.status_code == 202
    lifters = {"crm-sync", "officer-fetcher", "query-api", "snov-enricher"}
    assert set(lifted.json()["services"]) == lifters

    async def lift_completed() -> dict[str, Any] | None:
        body: dict[str, Any] = (await api.get(f"/api/v1/privacy/erasures/{request_id}")).json()
        return body if body.get("lift", {}).get("complete") else None

    status = await poll_until(lift_completed, timeout=60, message="every service lifted")
    assert set(status["lift"]["services"]) == lifters
    for name in ("officer_fetcher", "snov_enricher", "crm_sync"):
        left = await pg_connection.fetchval(
            f"SELECT count(*) FROM {quote_ident(f'{namespace}_{name}')}.suppressions"  # noqa: S608 - test schema
            " WHERE request_id = $1",
            request_id,
        )
        assert left == 0, name
    assert (await api.get("/api/v1/privacy/suppressions")).json()["items"] == []

    # ... and the next new fact brings the person back: a fresh officer list, then the company
    # entering strike-off again, which re-runs enrichment and the CRM sync for them.
    previous = await pg_connection.fetchval(fetched_at, number)
    assert (await api.post(f"/api/v1/companies/{number}/fetch-officers")).status_code == 202
    await poll_until(refetched, timeout=60, message="officer-fetcher stored a fresh list")
    pipeline.ch.stream.leave_strike_off(number)
    await settle(nats_client, pg_connection, namespace)
    pipeline.ch.stream.enter_strike_off(number, "voluntary")

    async def synced_again() -> bool:
        return pipeline.ghl.count_by_email(person.email, LOCATION) == 1

    await poll_until(synced_again, timeout=90, message="the person is a CRM contact again")
    await settle(nats_client, pg_connection, namespace)
    access = (await api.get("/api/v1/privacy/subject", params=subject)).json()
    assert [c["email"] for c in access["contacts"]] == [person.email]
