"""Erasure removes a person and keeps them from Snov.io; operators can pause and resume."""

from __future__ import annotations

import pytest

from leadpipe_contracts import derive_id, utcnow
from leadpipe_contracts.enrichment import ContactFound
from leadpipe_contracts.jobs import JobAction, JobCommand
from leadpipe_contracts.privacy import (
    PrivacyErasureCompleted,
    PrivacyErasureRequested,
    PrivacySuppressionLiftCompleted,
    PrivacySuppressionLifted,
)
from leadpipe_simulators.snov import EmailCandidate
from leadpipe_testing import poll_until

from .conftest import Launcher, Pipeline, officer, officers_listed

pytestmark = pytest.mark.integration


def _command(action: JobAction) -> JobCommand:
    return JobCommand(
        event_id=derive_id("job", action.value, utcnow().isoformat()),
        occurred_at=utcnow(),
        job_id="enrichment",
        service="snov-enricher",
        action=action,
        requested_by="operator@example.org",
    )


async def _paused(run: Pipeline) -> bool:
    return bool(await run.value("SELECT paused FROM {s}.credit_state"))


async def test_an_erased_person_is_deleted_and_never_sent_to_snov(pipeline: Launcher) -> None:
    run = await pipeline()
    run.sim.set_domain("ERASURE TEST LTD", "erasuretest.co.uk")
    for first, last in (("Ann", "Lee"), ("Bob", "Ray")):
        email = f"{first}@erasuretest.co.uk".lower()
        run.sim.set_emails(first, last, "erasuretest.co.uk", [EmailCandidate(email)])
    await run.publish(_command(JobAction.PAUSE))
    await poll_until(lambda: _paused(run), message="paused by the operator")
    directors = [officer("00000401", "Lee", "Ann", 1), officer("00000401", "Ray", "Bob", 2)]
    await run.publish(officers_listed("00000401", "ERASURE TEST LTD", directors))
    await poll_until(
        lambda: run.value("SELECT count(*) = 2 FROM {s}.officers"), message="2 directors stored"
    )

    await run.publish(
        PrivacyErasureRequested(
            event_id="erasure-1",
            occurred_at=utcnow(),
            request_id="req-1",
            officer_id="off-00000401-1",
            requested_by="dpo@example.org",
        )
    )
    completed = await poll_until(
        lambda: run.events_when("PRIVACY", PrivacyErasureCompleted, 2), message="completions"
    )
    assert sorted((c.service, c.records_erased) for c in completed) == [
        ("snov-enricher", 1),
        ("webhook-receiver", 0),
    ]
    # A later officer list still names her; she stays suppressed.
    await run.publish(officers_listed("00000401", "ERASURE TEST LTD", directors, fetch=2))
    await poll_until(run.caught_up, message="the new list handled")
    assert await run.value("SELECT count(*) FROM {s}.officers") == 1
    assert run.sim.tasks() == [], "nothing was sent while paused"

    await run.publish(_command(JobAction.RESUME))
    contacts = await poll_until(
        lambda: run.events_when("CONTACTS", ContactFound, 1), timeout=20, message="a contact"
    )
    assert [c.officer.first_name for c in contacts] == ["Bob"]
    sent = [row.first_name for task in run.sim.tasks() for row in task.rows]
    assert sent == ["Bob"]

    # Suppressions keep fingerprints; lifting them lets the next list store her again.
    kept = await run.value("SELECT string_agg(kind || ':' || value, ' ') FROM {s}.suppressions")
    assert "off-00000401-1" not in kept
    assert "ann" not in kept.lower()
    suppressed = await run.value("SELECT count(*) FROM {s}.suppressions")
    await run.publish(
        PrivacySuppressionLifted(
            event_id="lift-1", occurred_at=utcnow(), request_id="req-1", lifted_by="dpo@example.org"
        )
    )
    lifted = await poll_until(
        lambda: run.events_when("PRIVACY", PrivacySuppressionLiftCompleted, 1), message="lifted"
    )
    assert [(done.service, done.suppressions_removed) for done in lifted] == [
        ("snov-enricher", suppressed)
    ]
    await run.publish(officers_listed("00000401", "ERASURE TEST LTD", directors, fetch=3))

    async def with_her_lead() -> list[ContactFound] | None:
        found: list[ContactFound] = await run.stream_events("CONTACTS", ContactFound)
        return found if any(c.officer.first_name == "Ann" for c in found) else None

    contacts = await poll_until(with_her_lead, timeout=20, message="her lead")
    assert {c.officer.first_name for c in contacts} == {"Ann", "Bob"}
    # A second director changes the company's score: Bob's lead is published again with it.
    bobs = [c for c in contacts if c.officer.first_name == "Bob"]
    assert len(bobs) == 2
    assert bobs[0].contact_key == bobs[1].contact_key
    assert bobs[1].company.lead_score != bobs[0].company.lead_score
