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
import msgspec
import pytest
from nats.aio.client import Client as NatsClient

import ch_gateway.bootstrap
import crm_sync.bootstrap
import officer_fetcher.bootstrap
import snov_enricher.bootstrap
import stream_ingest.bootstrap
import webhook_receiver.bootstrap
from leadpipe_contracts import Decoder
from leadpipe_contracts.enrichment import ContactFound, DomainResolved
from leadpipe_contracts.officers import OfficersListed
from leadpipe_embedded import free_port
from leadpipe_runtime import Secret, Service
from leadpipe_simulators.companies_house import CompaniesHouseSimulator, SimulatorConfig
from leadpipe_simulators.ghl import GhlConfig, GhlSimulator
from leadpipe_simulators.snov import SnovConfig, SnovSimulator, TaskType
from leadpipe_testing import poll_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

GHL_TOKEN = "pit-end-to-end"
LOCATION = "loc-end-to-end"
WEBHOOK_SECRET = "end-to-end-webhook-secret"
COMPANIES = 6


class Pipeline:
    """The simulators and the six services of the lead path."""

    def __init__(self) -> None:
        self.ch = CompaniesHouseSimulator(SimulatorConfig(seed=11, size=3_000))
        self.snov = SnovSimulator(SnovConfig(domain_task_delay=0.0, email_task_delay=0.0))
        self.ghl = GhlSimulator(GhlConfig(tokens={GHL_TOKEN: LOCATION}))
        self.services: list[Service[Any]] = []

    async def start(self, nats_url: str, database_url: str, namespace: str) -> None:
        await self.ch.start()
        await self.snov.start()
        await self.ghl.start()
        hook_port = free_port()
        common: dict[str, Any] = {
            "nats_url": nats_url,
            "database_url": Secret(database_url),
            "namespace": namespace,
            "ops_port": 0,
            "shutdown_grace_seconds": 2,
        }
        secret = Secret(WEBHOOK_SECRET)
        settings = {
            stream_ingest.bootstrap.definition: {
                "ch_stream_url": self.ch.stream_url,
                "ch_stream_key": Secret("test-stream-key"),
            },
            ch_gateway.bootstrap.definition: {
                "ch_api_url": self.ch.rest_url,
                "ch_api_key": Secret("test-rest-key"),
            },
            officer_fetcher.bootstrap.definition: {},
            webhook_receiver.bootstrap.definition: {
                "webhook_secret": secret,
                "http_port": hook_port,
            },
            snov_enricher.bootstrap.definition: {
                "snov_api_url": self.snov.url,
                "snov_client_id": "leadpipe-client",
                "snov_client_secret": Secret("leadpipe-secret"),
                "webhook_secret": secret,
                "public_webhook_url": f"http://127.0.0.1:{hook_port}",
                "batch_fill_wait_seconds": 0.2,
                "include_unknown": True,
            },
            crm_sync.bootstrap.definition: {
                "ghl_api_url": self.ghl.url,
                "ghl_token": Secret(GHL_TOKEN),
                "ghl_location_id": LOCATION,
            },
        }
        for definition, own in settings.items():
            service = Service(definition, definition.settings_type(**common, **own))
            self.services.append(service)
            await service.start()

    async def stop(self) -> None:
        for service in reversed(self.services):
            await service.stop()
        await self.ghl.stop()
        await self.snov.stop()
        await self.ch.stop()

    def candidates(self, count: int) -> list[str]:
        """Active companies outside strike-off that have officers."""
        return self.ch.population.strike_off_candidates(count)


@pytest.fixture
async def pipeline(nats_url: str, database_url: str, namespace: str) -> AsyncIterator[Pipeline]:
    running = Pipeline()
    try:
        await running.start(nats_url, database_url, namespace)
        yield running
    finally:
        await running.stop()


def company_number_of(contact: dict[str, Any], field_id: str) -> str | None:
    values = {item["id"]: item["value"] for item in contact.get("customFields", [])}
    value = values.get(field_id)
    return str(value) if value is not None else None


async def read_stream(nats_client: NatsClient, stream: str, event_type: Any) -> list[Any]:
    """Every event of one type in a stream (other types are skipped)."""
    js = nats_client.jetstream()
    info = await js.stream_info(stream)
    decoder: Decoder[Any] = Decoder(event_type)
    events: list[Any] = []
    if not info.state.messages:
        return events
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        message = await js.get_msg(stream, sequence)
        try:
            events.append(decoder.decode(message.data or b""))
        except msgspec.DecodeError:
            continue
    return events


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
