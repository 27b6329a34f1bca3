"""Leaving strike-off, retention, erasure, odd officer items and pipeline statistics."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Publisher
from leadpipe_contracts import Decoder, derive_id, utcnow
from leadpipe_contracts.companies import LeftReason, Source, StrikeOffLeft
from leadpipe_contracts.crm import ContactSynced
from leadpipe_contracts.enrichment import (
    CompanySummary,
    ContactFound,
    DomainResolved,
    OfficerSummary,
)
from leadpipe_contracts.gateway import GatewayResponse, RequestKind, ResponseStatus
from leadpipe_contracts.officers import OfficersPurged
from leadpipe_contracts.privacy import (
    PrivacyErasureCompleted,
    PrivacyErasureRequested,
    PrivacySuppressionLiftCompleted,
    PrivacySuppressionLifted,
)
from leadpipe_contracts.status import GatewayStatus
from leadpipe_simulators.companies_house import CompaniesHouseSimulator
from leadpipe_testing import poll_until
from officer_fetcher import cli

from .conftest import GatewayDouble, ServiceFactory, entered
from .test_fetching import _all_fetched, consumers_drained, schema, stream_messages

pytestmark = pytest.mark.integration

FIXTURE = Path("/work/shared/reference/fixtures/ch_officers_list.json")


@pytest.fixture(scope="module")
def officer_list() -> dict[str, Any]:
    """The reference officer list fixture."""
    loaded: dict[str, Any] = json.loads(FIXTURE.read_text())
    return loaded


class Clock:
    """A clock the test moves forward."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return utcnow() + self.offset


def left(number: str, observed_at: dt.datetime) -> StrikeOffLeft:
    return StrikeOffLeft(
        event_id=derive_id("left", number, observed_at.isoformat()),
        occurred_at=observed_at,
        company_number=number,
        source=Source.STREAM,
        reason=LeftReason.DISCONTINUED,
        observed_at=observed_at,
    )


async def officer_ids(pg: asyncpg.Connection, namespace: str, number: str) -> set[str]:
    rows = await pg.fetch(
        f"SELECT officer_id FROM {schema(namespace)}.officers WHERE company_number = $1",
        number,
    )
    return {row["officer_id"] for row in rows}


async def test_retention_purges_exactly_the_people_of_companies_that_left_long_ago(
    start_service: ServiceFactory,
    simulator: CompaniesHouseSimulator,
    gateway: GatewayDouble,
    publisher: Publisher,
    pg_connection: asyncpg.Connection,
    nats_client: NatsClient,
    namespace: str,
) -> None:
    expired, recent, staying = list(simulator.population.iter_numbers())[:3]
    clock = Clock()
    await start_service(clock=clock, retention_interval_seconds=0.2)
    long_ago = utcnow() - dt.timedelta(days=200)
    for number in (expired, recent, staying):
        await publisher.publish(entered(number, source=Source.STREAM, observed_at=long_ago))
    await poll_until(
        lambda: _all_fetched(pg_connection, namespace, [expired, recent, staying]), timeout=30
    )
    people = {n: await officer_ids(pg_connection, namespace, n) for n in (expired, recent, staying)}
    assert all(people.values())

    await publisher.publish(left(expired, utcnow() - dt.timedelta(days=91)))
    await publisher.publish(left(recent, utcnow() - dt.timedelta(days=10)))
    decoder: Decoder[OfficersPurged] = Decoder(OfficersPurged)

    async def purges() -> list[OfficersPurged]:
        data = await stream_messages(nats_client, namespace, "OFFICERS", "officers.purged")
        return [decoder.decode(d) for d in data]

    (first,) = await poll_until(purges, timeout=20, message="first purge")
    assert first.company_numbers == (expired,)
    assert set(first.officer_ids) == people[expired]
    assert await officer_ids(pg_connection, namespace, expired) == set()
    assert await officer_ids(pg_connection, namespace, recent) == people[recent]
    # Officers of a company that left are no longer leads, but are kept until retention ends.
    leads = await pg_connection.fetchval(
        f"SELECT count(*) FROM {schema(namespace)}.officers WHERE company_number = $1 AND is_lead",
        recent,
    )
    assert leads == 0

    clock.offset = dt.timedelta(days=81)  # the recent exit is now past 90 days too
    purged = await poll_until(
        lambda: _purges_at_least(purges, 2), timeout=20, message="second purge"
    )
    assert purged[1].company_numbers == (recent,)
    assert set(purged[1].officer_ids) == people[recent]
    assert await officer_ids(pg_connection, namespace, staying) == people[staying]
    assert len(await purges()) == 2


async def _purges_at_least(probe: Any, count: int) -> list[OfficersPurged] | None:
    found: list[OfficersPurged] = await probe()
    return found if len(found) >= count else None


async def _tracked(pg: asyncpg.Connection, namespace: str, count: int) -> bool:
    """Whether officer-fetcher recorded ``count`` strike-off companies."""
    found = await pg.fetchval(f"SELECT count(*) FROM {schema(namespace)}.companies")
    return bool(found == count)


def _response(number: str, body: dict[str, Any], fetched_at: dt.datetime) -> GatewayResponse:
    return GatewayResponse(
        event_id=derive_id("response", number, fetched_at.isoformat()),
        occurred_at=fetched_at,
        request_id=derive_id("someone else's request", fetched_at.isoformat()),
        kind=RequestKind.OFFICER_LIST,
        status=ResponseStatus.OK,
        company_number=number,
        etag=str(body.get("etag")),
        body=msgspec.Raw(json.dumps(body).encode()),
        calls=1,
        fetched_at=fetched_at,
    )


async def test_odd_officer_items_are_stored_as_far_as_they_go_and_erasure_suppresses_a_person(
    start_service: ServiceFactory,
    publisher: Publisher,
    pg_connection: asyncpg.Connection,
    nats_client: NatsClient,
    namespace: str,
    officer_list: dict[str, Any],
) -> None:
    number = "11873402"
    await start_service(request_bulk_entries=False)
    await publisher.publish(entered(number))
    await poll_until(lambda: _tracked(pg_connection, namespace, 1), timeout=20)
    document = {**officer_list, "items": list(officer_list["items"])}
    document["items"] += [
        {"name": "JONES, Mary", "officer_role": "secretary"},
        {"officer_role": "corporate-director", "identification": {"registration_number": 7}},
        {"name": "ACME NOMINEES LIMITED", "officer_role": "director"},
        {"name": "ROLE, Unknown", "officer_role": "grand-vizier", "date_of_birth": "1980-01"},
        "not an officer",
    ]
    # A list for a company nobody tracks is not kept; the tracked company's list is.
    await publisher.publish(_response("99999999", document, utcnow()))
    await publisher.publish(_response(number, document, utcnow()))
    await poll_until(lambda: _all_fetched(pg_connection, namespace, [number]), timeout=20)

    rows = await pg_connection.fetch(
        f"SELECT * FROM {schema(namespace)}.officers ORDER BY position"
    )
    by_name = {row["name"]: row for row in rows}
    assert len(rows) == 7
    okafor = by_name["OKAFOR, Adaeze Chinwe"]
    assert (
        okafor["surname"],
        okafor["forenames"],
        okafor["birth_month"],
        okafor["birth_year"],
    ) == (
        "OKAFOR",
        "Adaeze Chinwe",
        7,
        1984,
    )
    assert okafor["officer_id"] == "Vq3mTz8LrK0pXwYb5HcJd1FsEaQ"
    assert json.loads(okafor["address"])["postal_code"] == "NN4 7QX"
    assert by_name["PENWORTH SECRETARIAL SERVICES LIMITED"]["kind"] == "corporate"
    assert by_name["MARCHETTI, Luca Giovanni"]["resigned_on"] == dt.date(2023, 11, 30)
    assert not by_name["MARCHETTI, Luca Giovanni"]["is_lead"]
    assert by_name["JONES, Mary"]["birth_year"] is None
    assert by_name[""]["kind"] == "corporate"
    assert by_name["ACME NOMINEES LIMITED"]["kind"] == "corporate"
    assert by_name["ROLE, Unknown"]["role"] == "grand-vizier"
    assert by_name["ROLE, Unknown"]["birth_year"] is None
    assert (
        await pg_connection.fetchval(
            f"SELECT count(*) FROM {schema(namespace)}.companies WHERE company_number = '99999999'"
        )
        == 0
    )

    request = PrivacyErasureRequested(
        event_id="erase-1",
        occurred_at=utcnow(),
        request_id="erasure-1",
        name="Adaeze Okafor",
        requested_by="dpo@example.com",
    )
    await publisher.publish(request)
    completion: Decoder[PrivacyErasureCompleted] = Decoder(PrivacyErasureCompleted)

    async def completed() -> list[PrivacyErasureCompleted]:
        data = await stream_messages(nats_client, namespace, "PRIVACY", "privacy.erasure.completed")
        return [completion.decode(d) for d in data]

    (done,) = await poll_until(completed, timeout=20, message="erasure completed")
    assert (done.service, done.request_id, done.records_erased) == (
        "officer-fetcher",
        "erasure-1",
        1,
    )
    names = {
        row["name"]
        for row in await pg_connection.fetch(f"SELECT name FROM {schema(namespace)}.officers")
    }
    assert "OKAFOR, Adaeze Chinwe" not in names
    assert len(names) == 6

    # A later fetch of the same list does not bring the erased person back.
    await publisher.publish(_response(number, document, utcnow() + dt.timedelta(seconds=1)))
    await poll_until(lambda: consumers_drained(nats_client, namespace, "responses"), timeout=20)
    names = {
        row["name"]
        for row in await pg_connection.fetch(f"SELECT name FROM {schema(namespace)}.officers")
    }
    assert "OKAFOR, Adaeze Chinwe" not in names
    assert len(names) == 6
    suppressions = await pg_connection.fetch(
        f"SELECT officer_hash, name_hash FROM {schema(namespace)}.suppressions"
    )
    assert suppressions, "the erasure suppressed the person"
    assert not any("okafor" in (v or "").lower() for row in suppressions for v in row.values())

    # Lifting the suppression: officer-fetcher confirms, and the next fetch keeps her again.
    await publisher.publish(
        PrivacySuppressionLifted(
            event_id="lift-1", occurred_at=utcnow(), request_id="erasure-1", lifted_by="dpo"
        )
    )
    lift: Decoder[PrivacySuppressionLiftCompleted] = Decoder(PrivacySuppressionLiftCompleted)

    async def lifted() -> list[PrivacySuppressionLiftCompleted]:
        subject = "privacy.suppression.lift_completed"
        data = await stream_messages(nats_client, namespace, "PRIVACY", subject)
        return [lift.decode(d) for d in data]

    (confirmed,) = await poll_until(lifted, timeout=20, message="lift completed")
    assert (confirmed.service, confirmed.request_id) == ("officer-fetcher", "erasure-1")
    assert confirmed.suppressions_removed == len(suppressions)
    await publisher.publish(_response(number, document, utcnow() + dt.timedelta(seconds=2)))
    await poll_until(lambda: consumers_drained(nats_client, namespace, "responses"), timeout=20)
    names = {
        row["name"]
        for row in await pg_connection.fetch(f"SELECT name FROM {schema(namespace)}.officers")
    }
    assert "OKAFOR, Adaeze Chinwe" in names


async def test_stats_report_the_pipeline_funnel_from_tables_and_events(
    start_service: ServiceFactory,
    publisher: Publisher,
    pg_connection: asyncpg.Connection,
    nats_url: str,
    database_url: str,
    namespace: str,
    officer_list: dict[str, Any],
) -> None:
    await start_service(request_bulk_entries=False)
    for number in ("00000001", "00000002", "00000003"):
        await publisher.publish(entered(number))
    await poll_until(lambda: _tracked(pg_connection, namespace, 3), timeout=20)
    document = {**officer_list, "items": list(officer_list["items"])}
    await publisher.publish(_response("00000001", document, utcnow()))
    await poll_until(lambda: _all_fetched(pg_connection, namespace, ["00000001"]), timeout=20)
    now = utcnow()
    for number, found in (("00000001", True), ("00000002", False)):
        await publisher.publish(
            DomainResolved(
                event_id=f"domain-{number}",
                occurred_at=now,
                company_number=number,
                company_name="A",
                normalised_name="A",
                found=found,
            )
        )
    summary = CompanySummary(company_number="00000001", company_name="A")
    officer = OfficerSummary(officer_id="x", first_name="A", last_name="B", role="director")
    for index in range(2):
        await publisher.publish(
            ContactFound(
                event_id=f"contact-{index}",
                occurred_at=now,
                contact_key=f"k{index}",
                company=summary,
                officer=officer,
                email=f"a{index}@example.com",
                smtp_status="valid",
            )
        )
    await publisher.publish(
        ContactSynced(
            event_id="synced-1",
            occurred_at=now,
            contact_key="k0",
            company_number="00000001",
            crm_contact_id="ghl-1",
            created=True,
            payload_hash="h",
        )
    )
    await publisher.publish(
        GatewayStatus(
            event_id="gw-1",
            occurred_at=now,
            limit=600,
            window_seconds=300,
            used_in_window=42,
            breaker="closed",
        )
    )

    figures = await cli.gather_stats(database_url, nats_url, namespace)
    assert figures["companies_in_strike_off"] == 3
    assert figures["with_officers"] == 1
    assert figures["with_active_individual_director"] == 1
    assert figures["with_domain"] == 1
    assert figures["with_email"] == 1
    assert figures["synced_to_crm"] == 1
    assert figures["gateway_quota_used"] == "42 / 600 per 300 s"
