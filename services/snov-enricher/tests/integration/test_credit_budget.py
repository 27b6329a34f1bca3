"""Credits: budget exhaustion pauses (work kept pending) and the next period resumes; when credits
are short the best-scored leads are searched first."""

from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client import REGISTRY

from leadpipe_contracts.enrichment import ContactFound, DomainResolved
from leadpipe_contracts.status import CreditStatus
from leadpipe_simulators.snov import EmailCandidate
from leadpipe_testing import poll_until

from .conftest import Launcher, Pipeline, company_observed, officer, officers_listed

pytestmark = pytest.mark.integration


async def test_budget_exhaustion_pauses_and_the_next_period_resumes(pipeline: Launcher) -> None:
    run = await pipeline(monthly_budget=3)
    names = ["DELTA ONE LTD", "DELTA TWO LTD", "DELTA THREE LTD", "DELTA FOUR LTD"]
    for index, name in enumerate(names):
        domain = f"delta{index}.co.uk"
        run.sim.set_domain(name, domain)
        run.sim.set_emails("Dee", f"Person{index}", domain, [EmailCandidate(f"dee@{domain}")])
        number = f"0000020{index}"
        await run.publish(officers_listed(number, name, [officer(number, f"Person{index}", "Dee")]))

    paused = await poll_until(lambda: _last_status(run, paused=True), timeout=20, message="a pause")
    assert paused.pause_reason == "budget_exhausted"
    assert paused.charged == 3
    assert run.sim.credits_spent() == 3
    pending = await run.value(
        "SELECT count(*) FROM {s}.domain_lookups WHERE state = 'pending'"
    ) + await run.value("SELECT count(*) FROM {s}.email_lookups WHERE state = 'pending'")
    assert pending == 4, "1 domain and 3 e-mail searches wait, none failed"
    health = await run.enricher.health.readiness()
    assert health["credits"].status.value == "degraded"
    assert "budget_exhausted" in (health["credits"].detail or "")
    assert REGISTRY.get_sample_value("leadpipe_snov_paused") == 1
    assert REGISTRY.get_sample_value("leadpipe_snov_credits_charged") == 3
    tasks_while_paused = len(run.sim.tasks())

    run.clock.move_to_next_month()
    contacts = await poll_until(
        lambda: run.events_when("CONTACTS", ContactFound, 3), timeout=30, message="contacts"
    )
    assert len(run.sim.tasks()) > tasks_while_paused
    resumed = await run.stream_events("STATUS", CreditStatus)
    assert any(not s.paused and s.period != paused.period for s in resumed)
    assert {c.email for c in contacts} >= {"dee@delta0.co.uk"}
    assert run.sim.items_paid_more_than_once() == {}


async def _last_status(run: Pipeline, *, paused: bool) -> CreditStatus | None:
    statuses = await run.stream_events("STATUS", CreditStatus)
    matching = [s for s in statuses if s.paused is paused]
    return matching[-1] if matching else None


async def test_higher_scored_companies_are_enriched_first_when_credits_are_short(
    pipeline: Launcher,
) -> None:
    run = await pipeline(sim={"balance": 2}, batch_fill_wait_seconds=3.0)
    facts = {
        # number: (name, SIC, postcode, accounts, created) — best first
        "00000301": ("LONDON CONSULTING LTD", ("70229",), "EC1A 1BB", "full", dt.date(2015, 1, 1)),
        "00000302": ("LEEDS ENGINEERING LTD", ("25620",), "LS1 4AP", "small", dt.date(2018, 1, 1)),
        "00000303": ("DORMANT HOLDINGS LTD", ("99999",), None, "dormant", dt.date(2025, 6, 1)),
        "00000304": ("SLEEPY SHELL LTD", ("74990",), "ZZ", "dormant", dt.date(2026, 1, 1)),
    }
    for number, (name, sic, postcode, accounts, created) in facts.items():
        run.sim.set_domain(name, name.split()[0].lower() + ".co.uk")
        await run.publish(
            company_observed(
                number, name, sic=sic, postcode=postcode, accounts=accounts, created=created
            )
        )
    for number, (name, *_rest) in reversed(list(facts.items())):
        await run.publish(officers_listed(number, name, [officer(number, "Holt", "Kim")]))

    resolved = await poll_until(
        lambda: run.events_when("ENRICHMENT", DomainResolved, 2), timeout=20, message="2 domains"
    )
    assert {r.company_number for r in resolved} == {"00000301", "00000302"}
    paused = await poll_until(lambda: _last_status(run, paused=True), message="a pause")
    assert paused.pause_reason == "balance_exhausted"
    searched = [name for task in run.sim.tasks() for name in task.names]
    assert searched == ["LONDON CONSULTING LTD", "LEEDS ENGINEERING LTD"]
    scores = await run.rows(
        "SELECT company_number, lead_score FROM {s}.companies ORDER BY lead_score DESC"
    )
    assert [r["company_number"] for r in scores] == list(facts)
