"""Fixtures for query-api on real NATS and Postgres: the service in-process, keys, events."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import nats
import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Publisher, Topology
from leadpipe_contracts import Address, Event, derive_id
from leadpipe_contracts.companies import (
    CompanyObserved,
    CompanyProfile,
    LeftReason,
    Source,
    StrikeOffEntered,
    StrikeOffKind,
    StrikeOffKindIdentified,
    StrikeOffLeft,
)
from leadpipe_contracts.enrichment import (
    CompanySummary,
    ContactFound,
    DomainResolved,
    OfficerSummary,
)
from leadpipe_contracts.officers import Officer, OfficerKind, OfficersListed
from leadpipe_embedded import free_port
from leadpipe_runtime import Secret, Service
from leadpipe_testing import poll_until
from query_api.adapters.access import AccessStore
from query_api.auth import Role
from query_api.bootstrap import definition
from query_api.settings import Settings

T0 = dt.datetime(2026, 9, 1, 9, 0, tzinfo=dt.UTC)


class Events:
    """Builders of realistic events with deterministic ids and times."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def _at(self, minutes: int | None) -> dt.datetime:
        return T0 + dt.timedelta(minutes=next(self._counter) if minutes is None else minutes)

    def observed(
        self,
        number: str,
        name: str,
        *,
        postcode: str = "SW1A 1AA",
        sic: tuple[str, ...] = ("62012",),
        minutes: int | None = None,
    ) -> CompanyObserved:
        at = self._at(minutes)
        return CompanyObserved(
            event_id=derive_id("observed", number, at),
            occurred_at=at,
            profile=CompanyProfile(
                company_number=number,
                company_name=name,
                status="active",
                status_detail="active-proposal-to-strike-off",
                registered_office_address=Address(address_line_1="1 High St", postal_code=postcode),
                sic_codes=sic,
                date_of_creation=dt.date(2015, 3, 1),
            ),
            source=Source.STREAM,
            source_ref=f"companies:{number}",
            observed_at=at,
        )

    def entered(
        self,
        number: str,
        name: str,
        *,
        minutes: int | None = None,
        at: dt.datetime | None = None,
        kind: StrikeOffKind = StrikeOffKind.VOLUNTARY,
    ) -> StrikeOffEntered:
        at = at or self._at(minutes)
        return StrikeOffEntered(
            event_id=derive_id("entered", number, at),
            occurred_at=at,
            company_number=number,
            company_name=name,
            source=Source.STREAM,
            signal="profile",
            kind=kind,
            entered_on=at.date(),
            observed_at=at,
        )

    def kind_identified(
        self, number: str, kind: StrikeOffKind, *, minutes: int | None = None
    ) -> StrikeOffKindIdentified:
        at = self._at(minutes)
        return StrikeOffKindIdentified(
            event_id=derive_id("kind", number, at),
            occurred_at=at,
            company_number=number,
            kind=kind,
            signal="proposal",
            source=Source.STREAM,
            source_ref=f"filings:{number}",
            observed_at=at,
        )

    def left(self, number: str, *, minutes: int | None = None) -> StrikeOffLeft:
        at = self._at(minutes)
        return StrikeOffLeft(
            event_id=derive_id("left", number, at),
            occurred_at=at,
            company_number=number,
            source=Source.STREAM,
            reason=LeftReason.DISCONTINUED,
            observed_at=at,
        )

    def officers(
        self, number: str, people: list[tuple[str, str]], *, minutes: int | None = None
    ) -> OfficersListed:
        """``people``: (officer id, "SURNAME, Forenames")."""
        at = self._at(minutes)
        return OfficersListed(
            event_id=derive_id("officers", number, at),
            occurred_at=at,
            company_number=number,
            company_name=None,
            officers=tuple(
                Officer(
                    officer_id=officer_id,
                    appointment_id=f"{number}-{officer_id}",
                    name=name,
                    kind=OfficerKind.INDIVIDUAL,
                    role="director",
                    surname=name.split(",")[0],
                    forenames=name.split(",")[1].strip(),
                    birth_month=5,
                    birth_year=1970,
                )
                for officer_id, name in people
            ),
            has_active_individual_director=bool(people),
            total_results=len(people),
            fetched_at=at,
        )

    def domain(self, number: str, name: str, found: str | None) -> DomainResolved:
        at = self._at(None)
        return DomainResolved(
            event_id=derive_id("domain", number, at),
            occurred_at=at,
            company_number=number,
            company_name=name,
            normalised_name=name.lower(),
            found=found is not None,
            domain=found,
            confidence=0.9 if found else None,
        )

    def contact(
        self,
        number: str,
        name: str,
        officer_id: str,
        first: str,
        last: str,
        email: str,
        *,
        score: float = 50.0,
    ) -> ContactFound:
        at = self._at(None)
        return ContactFound(
            event_id=derive_id("contact", number, officer_id, at),
            occurred_at=at,
            contact_key=f"{number}:{officer_id}",
            company=CompanySummary(company_number=number, company_name=name, lead_score=score),
            officer=OfficerSummary(
                officer_id=officer_id, first_name=first, last_name=last, role="director"
            ),
            email=email,
            smtp_status="valid",
        )


@pytest.fixture(scope="module")
def events() -> Events:
    """Event builders."""
    return Events()


@pytest.fixture(scope="module")
def namespace() -> str:
    """One namespace per test module: its tests share one running query-api (starting one per
    test would dominate the suite's time) and keep apart by using their own company numbers."""
    return "t" + uuid.uuid4().hex[:10]


@pytest.fixture(scope="module")
def settings(nats_url: str, database_url: str, namespace: str) -> Settings:
    """Settings of an in-process query-api on its own HTTP port."""
    return Settings(
        nats_url=nats_url,
        database_url=Secret(database_url),
        namespace=namespace,
        ops_port=0,
        http_port=free_port(),
        jwt_secret=Secret("integration-test-signing-key-0123456789"),
        rate_limit_per_minute=10_000,
        rate_limit_window_seconds=3_600,
        feed_poll_seconds=0.05,
        webhook_retry_base_seconds=0.2,
        shutdown_grace_seconds=2.0,
    )


@pytest.fixture(scope="module")
async def service(settings: Settings) -> AsyncIterator[Service[Settings]]:
    """query-api running in this process."""
    running = Service(definition, settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture(scope="module")
async def access(service: Service[Settings]) -> AccessStore:
    """The service's access store (users and keys)."""
    return AccessStore(service.db)


@pytest.fixture(scope="module")
async def keys(access: AccessStore) -> dict[Role, str]:
    """One API key per role."""
    found = {}
    for role in Role:
        _, key = await access.create_key(f"test {role}", role, owner=f"{role}-user")
        found[role] = key
    return found


@pytest.fixture(scope="module")
async def http(settings: Settings, service: Service[Settings]) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the service's HTTP port."""
    base = f"http://127.0.0.1:{settings.http_port}"
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        await poll_until(lambda: _up(client), timeout=10, message="HTTP port up")
        yield client


async def _up(client: httpx.AsyncClient) -> bool:
    try:
        return (await client.get("/healthz")).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture(scope="module")
async def module_nats(nats_url: str) -> AsyncIterator[NatsClient]:
    """A NATS client shared by a module's tests."""
    client = await nats.connect(nats_url, max_reconnect_attempts=-1, connect_timeout=5)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture(scope="module")
def publish(
    module_nats: NatsClient, namespace: str, service: Service[Settings]
) -> Callable[[Event], Any]:
    """Publish an event on its subject, as the producing service would."""
    publisher = Publisher(module_nats.jetstream(), Topology(namespace), "test-producer")

    async def send(event: Event) -> None:
        await publisher.publish(event)

    return send


async def caught_up(nats_client: NatsClient, namespace: str) -> bool:
    """Whether every query-api projection consumer has processed everything."""
    topology = Topology(namespace)
    js = nats_client.jetstream()
    for spec in topology.consumers_of("query-api"):
        info = await js.consumer_info(topology.stream_name(spec.stream), topology.durable(spec))
        if info.num_pending or info.num_ack_pending:
            return False
    return True


@pytest.fixture(scope="module")
def settle(module_nats: NatsClient, namespace: str) -> Callable[[], Any]:
    """Wait until the projections have applied everything published so far."""

    async def wait() -> None:
        await poll_until(
            lambda: caught_up(module_nats, namespace), timeout=20, message="projections caught up"
        )

    return wait


def auth(key: str) -> dict[str, str]:
    """Headers that authenticate with an API key."""
    return {"X-API-Key": key}
