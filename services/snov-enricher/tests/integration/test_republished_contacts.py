"""Company facts that arrive after a contact was found reach the CRM: snov-enricher publishes the
contact again and crm-sync updates the one GoHighLevel contact (real NATS and Postgres, Snov.io
and GoHighLevel simulated)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from crm_sync.bootstrap import definition as crm_definition
from crm_sync.settings import Settings as CrmSettings
from leadpipe_contracts import derive_id, utcnow
from leadpipe_contracts.companies import (
    Source,
    StrikeOffEntered,
    StrikeOffKind,
    StrikeOffKindIdentified,
)
from leadpipe_contracts.enrichment import ContactFound
from leadpipe_contracts.privacy import PrivacyErasureRequested
from leadpipe_runtime import Secret, Service
from leadpipe_simulators.ghl import GhlConfig, GhlSimulator
from leadpipe_simulators.snov import EmailCandidate
from leadpipe_testing import poll_until

from .conftest import Launcher, Pipeline, company_observed, officer, officers_listed

pytestmark = pytest.mark.integration

TOKEN = "pit-republish-test"
LOCATION = "loc-republish"
NUMBER = "09100001"
NAME = "BRIGHTWATER TRADING LTD"
EMAIL = "ann.lee@brightwater.co.uk"


@pytest.fixture
async def ghl() -> AsyncIterator[GhlSimulator]:
    simulator = GhlSimulator(GhlConfig(tokens={TOKEN: LOCATION}))
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def crm_sync(
    nats_url: str, database_url: str, namespace: str, ghl: GhlSimulator
) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    started: list[Service[CrmSettings]] = []

    async def start() -> None:
        settings = CrmSettings(
            nats_url=nats_url,
            database_url=Secret(database_url),
            namespace=namespace,
            ops_port=0,
            shutdown_grace_seconds=1,
            ghl_api_url=ghl.url,
            ghl_token=Secret(TOKEN),
            ghl_location_id=LOCATION,
        )
        service = Service(crm_definition, settings)
        await service.start()
        started.append(service)

    yield start
    for service in started:
        await service.stop()


def strike_off_entered(kind: StrikeOffKind) -> StrikeOffEntered:
    return StrikeOffEntered(
        event_id=derive_id("entered", NUMBER, kind.value),
        occurred_at=utcnow(),
        company_number=NUMBER,
        company_name=NAME,
        source=Source.STREAM,
        signal="filing",
        kind=kind,
        entered_on=dt.date(2026, 11, 3),
        observed_at=utcnow(),
    )


def crm_contact(ghl: GhlSimulator) -> dict[str, Any] | None:
    found = ghl.contacts_by_email(EMAIL, LOCATION)
    return found[0] if len(found) == 1 else None


def lead_score_of(ghl: GhlSimulator, contact: dict[str, Any]) -> Any:
    ids = {field.name: field.id for field in ghl.custom_fields(LOCATION)}
    values = {item["id"]: item["value"] for item in contact.get("customFields", [])}
    return values.get(ids["Lead Score"])


async def crm_caught_up(run: Pipeline) -> bool:
    js = run.nats.jetstream()
    for spec in run.topology.consumers_of("crm-sync"):
        info = await js.consumer_info(
            run.topology.stream_name(spec.stream), run.topology.durable(spec)
        )
        if info.num_pending or info.num_ack_pending:
            return False
    return True


async def test_a_kind_arriving_after_the_contact_reaches_the_one_crm_contact_with_its_score(
    pipeline: Launcher,
    crm_sync: Callable[[], Awaitable[None]],
    ghl: GhlSimulator,
) -> None:
    run = await pipeline()
    await crm_sync()
    run.sim.set_domain(NAME, "brightwater.co.uk")
    run.sim.set_emails("Ann", "Lee", "brightwater.co.uk", [EmailCandidate(EMAIL)])

    # The officers list comes first: the contact is found before its strike-off kind is known.
    await run.publish(officers_listed(NUMBER, NAME, [officer(NUMBER, "Lee", "Ann")]))
    first = await poll_until(lambda: crm_contact(ghl), timeout=30, message="the CRM contact")
    assert not {"strike-off-voluntary", "strike-off-compulsory"} & set(first["tags"])
    tasks, spent = len(run.sim.tasks()), run.sim.credits_spent()

    await run.publish(
        strike_off_entered(StrikeOffKind.COMPULSORY),
        company_observed(
            NUMBER,
            NAME,
            sic=("62012",),
            postcode="EC1A 1BB",
            accounts="full",
            created=dt.date(2020, 5, 1),
        ),
    )
    await poll_until(run.caught_up, timeout=20, message="the facts handled")
    score = await run.value(
        "SELECT lead_score FROM {s}.companies WHERE company_number = $1", NUMBER
    )
    assert score != 50, "the facts changed the score"

    def synced() -> dict[str, Any] | None:
        contact = crm_contact(ghl)
        if contact is None or "strike-off-compulsory" not in contact["tags"]:
            return None
        return contact if lead_score_of(ghl, contact) == round(score, 2) else None

    contact = await poll_until(synced, timeout=20, message="the kind tag and the current score")
    assert ghl.count_by_email(EMAIL, LOCATION) == 1
    assert contact["id"] == first["id"]
    assert {"strike-off", "leadpipe"} <= set(contact["tags"])
    assert (len(run.sim.tasks()), run.sim.credits_spent()) == (tasks, spent), "nothing searched"
    published = await run.stream_events("CONTACTS", ContactFound)
    assert {c.contact_key for c in published} == {f"{NUMBER}:off-{NUMBER}-1"}
    assert len({c.event_id for c in published}) == len(published) >= 2
    assert published[-1].company.strike_off_kind == "compulsory"
    assert published[-1].company.lead_score == score

    # A replay of the enricher's history publishes nothing new and searches nothing.
    await run.restart_enricher(replay=True)
    await poll_until(run.caught_up, timeout=20, message="the replay handled")
    await poll_until(
        lambda: run.value("SELECT count(*) = 0 FROM {s}.outbox WHERE published_at IS NULL"),
        message="outbox drained",
    )
    assert len(await run.stream_events("CONTACTS", ContactFound)) == len(published)
    assert (len(run.sim.tasks()), run.sim.credits_spent()) == (tasks, spent)

    # An erased person is never published or synced again, whatever facts change later.
    await run.publish(
        PrivacyErasureRequested(
            event_id="erase-ann",
            occurred_at=utcnow(),
            request_id="r-ann",
            officer_id=f"off-{NUMBER}-1",
            email=EMAIL,
            requested_by="dpo",
        )
    )
    await poll_until(
        lambda: ghl.count_by_email(EMAIL, LOCATION) == 0, timeout=20, message="contact erased"
    )
    await poll_until(run.caught_up, timeout=20, message="the erasure handled")
    await run.publish(strike_off_entered(StrikeOffKind.VOLUNTARY))
    await poll_until(
        lambda: run.value(
            "SELECT strike_off_kind = 'voluntary' FROM {s}.companies WHERE company_number = $1",
            NUMBER,
        ),
        message="the new kind stored",
    )
    await poll_until(run.caught_up, timeout=20, message="the new kind handled")
    await poll_until(lambda: crm_caught_up(run), timeout=20, message="crm-sync caught up")
    assert len(await run.stream_events("CONTACTS", ContactFound)) == len(published)
    assert ghl.count_by_email(EMAIL, LOCATION) == 0


def kind_identified(number: str, kind: StrikeOffKind, timepoint: int) -> StrikeOffKindIdentified:
    return StrikeOffKindIdentified(
        event_id=f"filings:{timepoint}:kind",
        occurred_at=utcnow(),
        company_number=number,
        kind=kind,
        signal="proposal",
        source=Source.STREAM,
        source_ref=f"filings:{timepoint}",
        observed_at=utcnow(),
    )


async def test_a_kind_identified_after_an_unknown_entry_rescores_and_republishes_the_contact(
    pipeline: Launcher,
) -> None:
    run = await pipeline()
    run.sim.set_domain(NAME, "brightwater.co.uk")
    run.sim.set_emails("Ann", "Lee", "brightwater.co.uk", [EmailCandidate(EMAIL)])
    await run.publish(
        strike_off_entered(StrikeOffKind.UNKNOWN),
        officers_listed(NUMBER, NAME, [officer(NUMBER, "Lee", "Ann")]),
    )
    await poll_until(
        lambda: run.events_when("CONTACTS", ContactFound, 1), timeout=30, message="the contact"
    )
    await poll_until(run.caught_up, timeout=20, message="the entry handled")
    await poll_until(
        lambda: run.value("SELECT count(*) = 0 FROM {s}.outbox WHERE published_at IS NULL"),
        message="outbox drained",
    )
    before = await run.stream_events("CONTACTS", ContactFound)
    assert before[-1].company.strike_off_kind == "unknown"
    unknown_score = await run.value(
        "SELECT lead_score FROM {s}.companies WHERE company_number = $1", NUMBER
    )
    tasks, spent = len(run.sim.tasks()), run.sim.credits_spent()

    await run.publish(kind_identified(NUMBER, StrikeOffKind.VOLUNTARY, 77))
    published = await poll_until(
        lambda: run.events_when("CONTACTS", ContactFound, len(before) + 1),
        timeout=20,
        message="the contact published again",
    )
    await poll_until(run.caught_up, timeout=20, message="the kind handled")
    row = (
        await run.rows(
            "SELECT strike_off_kind, lead_score FROM {s}.companies WHERE company_number = $1",
            NUMBER,
        )
    )[0]
    assert row["strike_off_kind"] == "voluntary"
    assert row["lead_score"] == unknown_score + 3, "a voluntary strike-off scores 3 points"
    latest = published[-1]
    assert latest.contact_key == before[-1].contact_key
    assert latest.company.strike_off_kind == "voluntary"
    assert latest.company.lead_score == row["lead_score"]
    assert (len(run.sim.tasks()), run.sim.credits_spent()) == (tasks, spent), "nothing searched"

    # The same fact again, and a replay of the whole history, change and publish nothing.
    await run.publish(kind_identified(NUMBER, StrikeOffKind.VOLUNTARY, 78))
    await run.restart_enricher(replay=True)
    await poll_until(run.caught_up, timeout=20, message="the replay handled")
    await poll_until(
        lambda: run.value("SELECT count(*) = 0 FROM {s}.outbox WHERE published_at IS NULL"),
        message="outbox drained",
    )
    assert len(await run.stream_events("CONTACTS", ContactFound)) == len(published)
    assert await run.value(
        "SELECT (strike_off_kind, lead_score) = ('voluntary', $2) FROM {s}.companies"
        " WHERE company_number = $1",
        NUMBER,
        row["lead_score"],
    )


async def test_an_unknown_entry_handled_after_its_identified_kind_keeps_the_kind(
    pipeline: Launcher,
) -> None:
    run = await pipeline()
    await run.publish(kind_identified(NUMBER, StrikeOffKind.COMPULSORY, 90))
    await poll_until(run.caught_up, timeout=20, message="the kind handled")
    await run.publish(strike_off_entered(StrikeOffKind.UNKNOWN))
    await poll_until(run.caught_up, timeout=20, message="the entry handled")

    kind = await run.value(
        "SELECT strike_off_kind FROM {s}.companies WHERE company_number = $1", NUMBER
    )
    assert kind == "compulsory"
