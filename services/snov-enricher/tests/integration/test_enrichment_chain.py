"""The per-lead chain against the simulator: domain first, e-mails only where a domain exists."""

from __future__ import annotations

import pytest

from leadpipe_contracts.enrichment import ContactFound, DomainResolved
from leadpipe_simulators.snov import EmailCandidate, NoDomainShape
from leadpipe_testing import poll_until

from .conftest import Launcher, officer, officers_listed

pytestmark = pytest.mark.integration


async def test_a_company_without_a_domain_never_triggers_an_email_search(
    pipeline: Launcher,
) -> None:
    run = await pipeline(batch_fill_wait_seconds=2.0)
    run.sim.set_domain("ACME WIDGETS LTD", "acmewidgets.co.uk")
    run.sim.set_emails(
        "Jane", "Doe", "acmewidgets.co.uk", [EmailCandidate("jane.doe@acmewidgets.co.uk")]
    )
    for shape, name in zip(
        NoDomainShape,
        ("NOWHERE ONE LTD", "NOWHERE TWO LTD", "NOWHERE THREE LTD", "NOWHERE FOUR"),
        strict=True,
    ):
        run.sim.set_domain(name, None, shape)
    await run.publish(
        officers_listed("00000001", "ACME WIDGETS LTD", [officer("00000001", "Doe", "Jane")]),
        *(
            officers_listed(f"0000001{i}", name, [officer(f"0000001{i}", "Smith", "Sam")])
            for i, name in enumerate(
                ("NOWHERE ONE LTD", "NOWHERE TWO LTD", "NOWHERE THREE LTD", "NOWHERE FOUR")
            )
        ),
    )

    contacts = await poll_until(
        lambda: run.stream_events("CONTACTS", ContactFound), timeout=20, message="a contact"
    )
    assert [(c.contact_key, c.email) for c in contacts] == [
        ("00000001:off-00000001-1", "jane.doe@acmewidgets.co.uk")
    ]
    assert contacts[0].company.domain == "acmewidgets.co.uk"
    assert contacts[0].smtp_status == "valid"
    resolved = await poll_until(
        lambda: run.events_when("ENRICHMENT", DomainResolved, 5), message="5 outcomes"
    )
    assert sorted((r.company_number, r.found) for r in resolved) == [
        ("00000001", True),
        ("00000010", False),
        ("00000011", False),
        ("00000012", False),
        ("00000013", False),
    ]
    email_tasks = [t for t in run.sim.tasks() if t.task_type.value == "emails-by-domain-by-name"]
    searched = [row.domain for task in email_tasks for row in task.rows]
    assert searched == ["acmewidgets.co.uk"]
    domain_tasks = [t for t in run.sim.tasks() if t.task_type.value == "company-domain-by-name"]
    assert len(domain_tasks) == 1, "five names fit in one batch"
    assert len(domain_tasks[0].names) == 5


async def test_an_unknown_email_becomes_a_contact_only_when_configured(
    pipeline: Launcher,
) -> None:
    run = await pipeline(include_unknown=True)
    run.sim.set_domain("CATCHALL CO LIMITED", "catchall.co.uk")
    run.sim.set_emails(
        "Ann",
        "Lee",
        "catchall.co.uk",
        [EmailCandidate("ann.lee@catchall.co.uk", "unknown", "catchall")],
    )
    run.sim.set_emails("Bob", "Ray", "catchall.co.uk", [])
    await run.publish(
        officers_listed(
            "00000002",
            "CATCHALL CO LIMITED",
            [officer("00000002", "Lee", "Ann", 1), officer("00000002", "Ray", "Bob", 2)],
        )
    )
    contacts = await poll_until(
        lambda: run.stream_events("CONTACTS", ContactFound), timeout=20, message="a contact"
    )
    assert len(contacts) == 1
    assert contacts[0].smtp_status == "unknown"
    assert contacts[0].unknown_status_reason == "catchall"
    assert contacts[0].officer.first_name == "Ann"
    await poll_until(
        lambda: run.value("SELECT count(*) = 2 FROM {s}.email_lookups WHERE state = 'done'"),
        message="both lookups done",
    )
    assert await run.value("SELECT sum(charged) FROM {s}.credit_ledger") == run.sim.credits_spent()
