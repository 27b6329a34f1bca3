"""The composed pipeline on real NATS and Postgres with every simulator: a company entering
proposal to strike off on the Companies House stream ends as contacts in GoHighLevel.

stream-ingest (CH stream) → ch-gateway (CH REST, officers) → officer-fetcher → snov-enricher
(Snov.io, results pushed to webhook-receiver) → crm-sync (GoHighLevel). Every service runs
in-process under the shared runtime, in one namespace.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient
from pipeline import LOCATION, Pipeline, read_stream

from leadpipe_contracts.enrichment import ContactFound, DomainResolved
from leadpipe_contracts.officers import OfficersListed
from leadpipe_simulators.snov import TaskType
from leadpipe_testing import poll_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

COMPANIES = 6


@pytest.fixture
async def pipeline(nats_url: str, database_url: str, namespace: str) -> AsyncIterator[Pipeline]:
    running = Pipeline(seed=11)
    try:
        await running.start(nats_url, database_url, namespace)
        yield running
    finally:
        await running.stop()


def company_number_of(contact: dict[str, Any], field_id: str) -> str | None:
    values = {item["id"]: item["value"] for item in contact.get("customFields", [])}
    value = values.get(field_id)
    return str(value) if value is not None else None


async def caught_up(nats_client: NatsClient, stream: str, durable: str) -> bool:
    info = await nats_client.jetstream().consumer_info(stream, durable)
    return info.num_pending == 0 and info.num_ack_pending == 0


async def test_companies_entering_strike_off_on_the_stream_become_contacts_in_the_crm(
    pipeline: Pipeline,
    nats_client: NatsClient,
    pg_connection: asyncpg.Connection,
    namespace: str,
) -> None:
    numbers = pipeline.candidates(COMPANIES)
    for number in numbers:
        pipeline.ch.stream.enter_strike_off(number, "voluntary")
    prefix = namespace.upper()

    async def enrichment_settled() -> list[ContactFound] | None:
        listed = await read_stream(nats_client, f"{prefix}_OFFICERS", OfficersListed)
        if {event.company_number for event in listed} != set(numbers):
            return None
        searchable = {e.company_number for e in listed if e.has_active_individual_director}
        resolved = await read_stream(nats_client, f"{prefix}_ENRICHMENT", DomainResolved)
        if not searchable <= {event.company_number for event in resolved}:
            return None
        domains = {e.domain for e in resolved if e.found and e.company_number in numbers}
        tasks = pipeline.snov.tasks()
        searched = {row.domain for t in tasks if t.task_type is TaskType.EMAILS for row in t.rows}
        if not domains <= searched or not all(task.done for task in tasks):
            return None
        if not await caught_up(
            nats_client, f"{prefix}_WEBHOOKS", f"{namespace}-snov-enricher-webhooks"
        ):
            return None
        unpublished = await pg_connection.fetchval(
            f'SELECT count(*) FROM "{namespace}_snov_enricher".outbox'  # noqa: S608 - test namespace
            " WHERE published_at IS NULL"
        )
        if unpublished:
            return None
        found: list[ContactFound] = await read_stream(
            nats_client, f"{prefix}_CONTACTS", ContactFound
        )
        return found or None

    found = await poll_until(enrichment_settled, timeout=120, message="enrichment finished")
    emails = {lead.email.lower() for lead in found}

    async def crm_settled() -> bool:
        in_crm = {c["email"] for c in pipeline.ghl.contacts(LOCATION)}
        return in_crm == emails and await caught_up(
            nats_client, f"{prefix}_CONTACTS", f"{namespace}-crm-sync-contacts"
        )

    await poll_until(crm_settled, timeout=60, message="every lead found is in the CRM")
    contacts = pipeline.ghl.contacts(LOCATION)
    field_id = next(
        f.id for f in pipeline.ghl.custom_fields(LOCATION) if f.name == "Company Number"
    )
    # Only struck-off companies' directors, each exactly once, tagged with the strike-off kind.
    assert {company_number_of(c, field_id) for c in contacts} <= set(numbers)
    assert all(pipeline.ghl.count_by_email(email, LOCATION) == 1 for email in emails)
    assert all(lead.company.strike_off_kind == "voluntary" for lead in found)
    assert all("strike-off-voluntary" in c["tags"] for c in contacts)

    # The company leaving strike-off reaches the CRM as a tag on its contacts.
    leaving = found[0].company.company_number
    pipeline.ch.stream.leave_strike_off(leaving)

    def tagged() -> bool:
        own = [
            c for c in pipeline.ghl.contacts(LOCATION) if company_number_of(c, field_id) == leaving
        ]
        return bool(own) and all("strike-off-left" in c["tags"] for c in own)

    await poll_until(tagged, timeout=30, message="contacts of the company that left are tagged")
