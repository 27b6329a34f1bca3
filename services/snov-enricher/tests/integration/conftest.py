"""The enrichment pipeline in-process: snov-enricher and webhook-receiver on real NATS and
Postgres, Snov.io simulated, a movable clock for billing periods."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import msgspec
import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Publisher, Topology
from leadpipe_contracts import Address, Event, derive_id, utcnow
from leadpipe_contracts.companies import CompanyObserved, CompanyProfile, Source
from leadpipe_contracts.officers import Officer, OfficerKind, OfficersListed
from leadpipe_embedded import free_port
from leadpipe_runtime import Secret, Service, ServiceDefinition
from leadpipe_simulators.snov import SnovConfig, SnovSimulator
from snov_enricher.bootstrap import make_build
from snov_enricher.settings import Settings
from webhook_receiver.bootstrap import definition as receiver_definition
from webhook_receiver.settings import Settings as ReceiverSettings

CLIENT_ID = "enricher-test"
CLIENT_SECRET = "enricher-test-secret"
WEBHOOK_SECRET = "a-webhook-secret-of-the-tests"


class MovableClock:
    """Real time plus an offset that tests move forward (e.g. into the next month)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def move_to_next_month(self) -> None:
        now = self.now()
        first_next = (now.replace(day=1) + dt.timedelta(days=32)).replace(day=1, hour=0, minute=5)
        self.offset += first_next - now


def officer(number: str, surname: str, forenames: str, index: int = 1) -> Officer:
    return Officer(
        officer_id=f"off-{number}-{index}",
        appointment_id=f"app-{number}-{index}",
        name=f"{surname.upper()}, {forenames}",
        kind=OfficerKind.INDIVIDUAL,
        role="director",
        surname=surname.upper(),
        forenames=forenames,
    )


def officers_listed(
    number: str, name: str, officers: list[Officer], *, fetch: int = 1
) -> OfficersListed:
    return OfficersListed(
        event_id=derive_id("officers", number, len(officers), fetch),
        occurred_at=utcnow(),
        company_number=number,
        company_name=name,
        officers=tuple(officers),
        has_active_individual_director=bool(officers),
        total_results=len(officers),
        fetched_at=utcnow(),
    )


def company_observed(
    number: str,
    name: str,
    *,
    sic: tuple[str, ...],
    postcode: str | None,
    accounts: str | None,
    created: dt.date | None,
) -> CompanyObserved:
    return CompanyObserved(
        event_id=derive_id("observed", number),
        occurred_at=utcnow(),
        profile=CompanyProfile(
            company_number=number,
            company_name=name,
            status="active",
            status_detail="active-proposal-to-strike-off",
            sic_codes=sic,
            registered_office_address=Address(address_line_1="1 High St", postal_code=postcode),
            accounts_category=accounts,
            date_of_creation=created,
        ),
        source=Source.STREAM,
        source_ref="companies:1",
        observed_at=utcnow(),
    )


@dataclasses.dataclass
class Pipeline:
    """Handles on the running pipeline for one test."""

    sim: SnovSimulator
    clock: MovableClock
    topology: Topology
    publisher: Publisher
    nats: NatsClient
    db: asyncpg.Connection
    schema: str
    enricher: Service[Settings]
    settings: Settings

    async def publish(self, *events: Event) -> None:
        for event in events:
            await self.publisher.publish(event)

    async def rows(self, query: str, *args: Any) -> list[asyncpg.Record]:
        return list(await self.db.fetch(query.replace("{s}", f'"{self.schema}"'), *args))

    async def value(self, query: str, *args: Any) -> Any:
        return await self.db.fetchval(query.replace("{s}", f'"{self.schema}"'), *args)

    async def stream_events(self, stream: str, type_: Any) -> list[Any]:
        """Every message of a (namespaced) stream that decodes as ``type_``."""
        js = self.nats.jetstream()
        name = self.topology.stream_name(stream)
        info = await js.stream_info(name)
        decoder = msgspec.json.Decoder(type_)
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if info.state.messages == 0:
                break
            message = await js.get_msg(name, seq)
            try:
                found.append(decoder.decode(message.data or b""))
            except msgspec.ValidationError:
                continue  # another event type of the same stream
        return found

    async def events_when(self, stream: str, type_: Any, count: int) -> list[Any] | None:
        """The stream's events once there are at least ``count`` of them (for ``poll_until``)."""
        found = await self.stream_events(stream, type_)
        return found if len(found) >= count else None

    async def caught_up(self) -> bool:
        """Whether every snov-enricher consumer has handled everything in its stream."""
        js = self.nats.jetstream()
        for spec in self.topology.consumers_of("snov-enricher"):
            info = await js.consumer_info(
                self.topology.stream_name(spec.stream), self.topology.durable(spec)
            )
            if info.num_pending or info.num_ack_pending:
                return False
        return True

    async def restart_enricher(self, *, replay: bool = False) -> None:
        """Stop snov-enricher; with ``replay`` its consumers are deleted so all history returns."""
        await self.enricher.stop()
        if replay:
            js = self.nats.jetstream()
            for spec in self.topology.consumers_of("snov-enricher"):
                await js.delete_consumer(
                    self.topology.stream_name(spec.stream), self.topology.durable(spec)
                )
        self.enricher = Service(_definition(self.clock), self.settings)
        await self.enricher.start()


def _definition(clock: MovableClock) -> ServiceDefinition[Settings]:
    return ServiceDefinition(
        name="snov-enricher",
        settings_type=Settings,
        build=make_build(clock),
        migrations="snov_enricher.migrations",
    )


Launcher = Callable[..., Awaitable[Pipeline]]


@pytest.fixture
async def pipeline(
    nats_url: str,
    database_url: str,
    namespace: str,
    nats_client: NatsClient,
    pg_connection: asyncpg.Connection,
) -> AsyncIterator[Launcher]:
    """Start the pipeline with simulator and enricher overrides; stops everything after."""
    started: list[Any] = []

    async def launch(
        *, sim: dict[str, Any] | None = None, webhooks: bool = True, **overrides: Any
    ) -> Pipeline:
        config = SnovConfig(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            seed=11,
            domain_task_delay=0.3,
            email_task_delay=0.3,
            **(sim or {}),
        )
        simulator = SnovSimulator(config)
        await simulator.start()
        started.append(simulator)
        public_url = ""
        if webhooks:
            port = free_port()
            receiver = Service(
                receiver_definition,
                ReceiverSettings(
                    nats_url=nats_url,
                    database_url=Secret(database_url),
                    namespace=namespace,
                    ops_port=0,
                    shutdown_grace_seconds=1,
                    webhook_secret=Secret(WEBHOOK_SECRET),
                    http_port=port,
                ),
            )
            await receiver.start()
            started.append(receiver)
            public_url = f"http://127.0.0.1:{port}"
        values: dict[str, Any] = {
            "nats_url": nats_url,
            "database_url": Secret(database_url),
            "namespace": namespace,
            "ops_port": 0,
            "shutdown_grace_seconds": 1,
            "snov_api_url": simulator.url,
            "snov_client_id": CLIENT_ID,
            "snov_client_secret": Secret(CLIENT_SECRET),
            "public_webhook_url": public_url,
            "webhook_secret": Secret(WEBHOOK_SECRET),
            "snov_rate_guard_seconds": 0.0,
            "batch_fill_wait_seconds": 1.0,
            "webhook_timeout_seconds": 60.0,
            "poll_interval_seconds": 0.3,
            "tick_seconds": 0.1,
        }
        values.update(overrides)
        settings = Settings(**values)
        clock = MovableClock()
        enricher = Service(_definition(clock), settings)
        await enricher.start()
        topology = Topology(namespace)
        pipeline = Pipeline(
            sim=simulator,
            clock=clock,
            topology=topology,
            publisher=Publisher(nats_client.jetstream(), topology, "tests"),
            nats=nats_client,
            db=pg_connection,
            schema=f"{namespace}_snov_enricher",
            enricher=enricher,
            settings=settings,
        )
        started.append(pipeline)
        return pipeline

    yield launch
    for item in reversed(started):
        if isinstance(item, Pipeline):
            await item.enricher.stop()
        else:
            await item.stop()
