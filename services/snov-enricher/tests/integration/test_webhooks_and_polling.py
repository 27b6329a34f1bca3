"""Results arrive by webhook, or by polling when the webhook is lost; credits are spent once."""

from __future__ import annotations

import pytest

from leadpipe_contracts.enrichment import ContactFound, DomainResolved
from leadpipe_simulators.snov import EmailCandidate
from leadpipe_testing import poll_until

from .conftest import Launcher, Pipeline, officer, officers_listed

pytestmark = pytest.mark.integration

COMPANIES = [
    ("00000101", "ALPHA TRADING LTD", "alphatrading.co.uk", "Ada", "Stone"),
    ("00000102", "BETA SUPPLIES LIMITED", "betasupplies.com", "Ben", "Hart"),
    ("00000103", "GAMMA FOODS LTD", "gammafoods.co.uk", "Cat", "Wells"),
]


async def _publish_companies(run: Pipeline) -> None:
    for number, name, domain, first, last in COMPANIES:
        run.sim.set_domain(name, domain)
        run.sim.set_emails(
            first, last, domain, [EmailCandidate(f"{first}.{last}@{domain}".lower())]
        )
        await run.publish(officers_listed(number, name, [officer(number, last, first)]))


async def test_a_lost_webhook_is_recovered_by_polling(pipeline: Launcher) -> None:
    run = await pipeline(webhook_timeout_seconds=1.0)
    run.sim.drop_webhooks(count=10)
    await _publish_companies(run)

    contacts = await poll_until(
        lambda: run.events_when("CONTACTS", ContactFound, 3), timeout=30, message="3 contacts"
    )
    assert sorted(c.email for c in contacts) == [
        "ada.stone@alphatrading.co.uk",
        "ben.hart@betasupplies.com",
        "cat.wells@gammafoods.co.uk",
    ]
    tasks = run.sim.tasks()
    assert len(run.sim.dropped_webhooks()) == len(tasks), "every task's push was lost"
    assert run.sim.webhook_attempts() == []
    batches = await run.rows("SELECT state, webhook_at FROM {s}.batches")
    assert [(b["state"], b["webhook_at"]) for b in batches] == [("completed", None)] * len(tasks)
    assert run.sim.items_paid_more_than_once() == {}


async def test_a_webhook_delivered_three_times_and_a_replayed_stream_spend_credits_once(
    pipeline: Launcher,
) -> None:
    run = await pipeline()
    run.sim.duplicate_webhooks(copies=3, count=10)
    await _publish_companies(run)
    await poll_until(
        lambda: run.events_when("CONTACTS", ContactFound, 3), timeout=30, message="3 contacts"
    )
    await poll_until(
        lambda: (
            len([a for a in run.sim.webhook_attempts() if a.delivered]) == 3 * len(run.sim.tasks())
        ),
        message="3 copies of every push delivered",
    )
    spent = run.sim.credits_spent()
    assert spent == 6, "3 domains and 3 e-mails"
    assert run.sim.items_paid_more_than_once() == {}
    ledger = await run.value("SELECT sum(charged) FROM {s}.credit_ledger")
    assert ledger == spent
    tasks = len(run.sim.tasks())

    await run.restart_enricher(replay=True)
    # The replay re-delivers every officers list and every push; then a re-fetched list comes.
    await run.publish(
        officers_listed(
            "00000101", "Alpha Trading Limited", [officer("00000101", "Stone", "Ada")], fetch=2
        )
    )
    await poll_until(run.caught_up, timeout=20, message="the replay handled")
    await poll_until(
        lambda: run.value(
            "SELECT count(*) >= 4 FROM {s}.processed_events WHERE consumer = 'officers'"
        ),
        message="a re-fetched officer list handled",
    )
    await poll_until(
        lambda: run.value("SELECT count(*) = 0 FROM {s}.outbox WHERE published_at IS NULL"),
        message="outbox drained",
    )
    assert len(run.sim.tasks()) == tasks, "no search was started again"
    assert run.sim.credits_spent() == spent
    contacts = await run.stream_events("CONTACTS", ContactFound)
    assert len({c.contact_key for c in contacts}) == 3
    # The replay published nothing; the re-fetched list spells Alpha's name anew, a changed
    # fact of its lead, which is published once more with it (still no search).
    assert len({c.event_id for c in contacts}) == 4
    assert [
        c.contact_key for c in contacts if c.company.company_name == "Alpha Trading Limited"
    ] == ["00000101:off-00000101-1"]
    resolved = await run.stream_events("ENRICHMENT", DomainResolved)
    assert len({r.event_id for r in resolved}) == 3


async def test_a_start_call_whose_answer_is_lost_is_recovered_from_the_push_without_resending(
    pipeline: Launcher,
) -> None:
    run = await pipeline(snov_timeout_seconds=0.5, batch_fill_wait_seconds=0.2)
    run.sim.set_domain("WARM UP LTD", None)
    run.sim.set_domain("LOST ANSWER LTD", "lostanswer.co.uk")
    run.sim.set_emails("Lou", "Ash", "lostanswer.co.uk", [])
    await run.publish(
        officers_listed("00000501", "WARM UP LTD", [officer("00000501", "Ash", "Al")])
    )
    await poll_until(
        lambda: run.events_when("ENRICHMENT", DomainResolved, 1), timeout=20, message="warm-up"
    )

    run.sim.set_latency(1.0)  # longer than the client's timeout: the answer never arrives
    await run.publish(
        officers_listed("00000502", "LOST ANSWER LTD", [officer("00000502", "Ash", "Lou")])
    )
    await poll_until(
        lambda: run.value(
            "SELECT count(*) = 1 FROM {s}.batches WHERE state = 'starting' AND task_hash IS NULL"
        ),
        timeout=20,
        message="a batch whose start answer was lost",
    )
    await poll_until(lambda: len(run.sim.tasks()) == 2, message="the task started anyway")
    run.sim.clear_faults()

    resolved = await poll_until(
        lambda: run.events_when("ENRICHMENT", DomainResolved, 2), timeout=20, message="resolved"
    )
    assert {r.company_number: r.domain for r in resolved}["00000502"] == "lostanswer.co.uk"
    batch = await run.rows(
        "SELECT task_hash, state, webhook_at FROM {s}.batches ORDER BY created_at"
    )
    assert batch[1]["task_hash"] == run.sim.tasks()[1].task_hash
    assert batch[1]["webhook_at"] is not None, "the push revealed the task"
    domain_tasks = [t for t in run.sim.tasks() if t.task_type.value == "company-domain-by-name"]
    assert len(domain_tasks) == 2, "the lost batch was never sent again"
