"""When a found contact is published again: the decision and the ids it gets."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from leadpipe_contracts import derive_id
from leadpipe_contracts.enrichment import CompanySummary
from snov_enricher import events
from snov_enricher.republish import Published, next_publication, summary_fingerprint
from snov_enricher.results import EmailCandidate

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
EMAIL = "ann.lee@brightwater.co.uk"
BEFORE_THE_KIND = CompanySummary(
    company_number="09000001",
    company_name="BRIGHTWATER LTD",
    domain="brightwater.co.uk",
    strike_off_kind=None,
    lead_score=55.0,
)
WITH_THE_KIND = msgspec.structs.replace(
    BEFORE_THE_KIND, strike_off_kind="compulsory", lead_score=63.0
)


def published(
    summary: CompanySummary | None, *, revision: int = 0, at: dt.datetime = NOW
) -> Published:
    return Published(
        email=EMAIL,
        summary_hash=summary_fingerprint(summary) if summary else None,
        revision=revision,
        published_at=at,
    )


def test_a_lead_never_published_is_published_as_revision_zero() -> None:
    publication = next_publication(None, EMAIL, BEFORE_THE_KIND, NOW)
    assert publication is not None
    assert (publication.revision, publication.occurred_at) == (0, NOW)
    assert publication.summary_hash == summary_fingerprint(BEFORE_THE_KIND)


def test_a_lead_whose_facts_did_not_change_is_not_published_again() -> None:
    later = NOW + dt.timedelta(hours=1)
    assert next_publication(published(BEFORE_THE_KIND), EMAIL, BEFORE_THE_KIND, later) is None


def test_a_kind_arriving_after_the_contact_publishes_it_again_with_the_new_facts() -> None:
    later = NOW + dt.timedelta(minutes=5)
    publication = next_publication(published(BEFORE_THE_KIND), EMAIL, WITH_THE_KIND, later)
    assert publication is not None
    assert (publication.revision, publication.occurred_at) == (1, later)
    assert publication.summary_hash == summary_fingerprint(WITH_THE_KIND)


def test_a_score_change_alone_publishes_the_lead_again() -> None:
    rescored = msgspec.structs.replace(WITH_THE_KIND, lead_score=58.0)
    publication = next_publication(published(WITH_THE_KIND, revision=1), EMAIL, rescored, NOW)
    assert publication is not None
    assert publication.revision == 2


def test_a_new_email_publishes_the_lead_again() -> None:
    publication = next_publication(
        published(BEFORE_THE_KIND), "ann@brightwater.co.uk", BEFORE_THE_KIND, NOW
    )
    assert publication is not None
    assert publication.revision == 1


def test_a_contact_published_before_summaries_were_kept_is_published_once_more() -> None:
    publication = next_publication(published(None), EMAIL, BEFORE_THE_KIND, NOW)
    assert publication is not None
    assert publication.revision == 1
    recorded = Published(EMAIL, publication.summary_hash, 1, publication.occurred_at)
    assert next_publication(recorded, EMAIL, BEFORE_THE_KIND, NOW) is None


def test_a_republication_is_always_later_than_the_previous_one_even_if_the_clock_is_behind() -> (
    None
):
    """Consumers keep the newest publication of a lead by occurred_at; a clock read before the
    previous publication committed must not make the new facts look older."""
    previous = published(BEFORE_THE_KIND, at=NOW)
    behind = NOW - dt.timedelta(milliseconds=3)
    publication = next_publication(previous, EMAIL, WITH_THE_KIND, behind)
    assert publication is not None
    assert publication.occurred_at > NOW


def _rows(summary: CompanySummary) -> tuple[dict[str, Any], dict[str, Any]]:
    company = {
        "company_number": summary.company_number,
        "company_name": summary.company_name,
        "normalised_name": "BRIGHTWATER",
        "domain": summary.domain,
        "address": None,
        "sic_codes": list(summary.sic_codes),
        "strike_off_kind": summary.strike_off_kind,
        "strike_off_entered_on": summary.strike_off_entered_on,
        "lead_score": summary.lead_score,
    }
    officer = {
        "officer_key": "o1",
        "officer_id": "o1",
        "first_name": "Ann",
        "last_name": "LEE",
        "role": "director",
    }
    return company, officer


def test_the_first_publication_keeps_the_id_it_always_had() -> None:
    company, officer = _rows(BEFORE_THE_KIND)
    found = events.contact_found(
        company, officer, EmailCandidate(EMAIL, "valid"), NOW, searched_at=NOW
    )
    assert found.event_id == derive_id("contact-found", "09000001:o1", EMAIL, NOW.isoformat())
    assert found.company == BEFORE_THE_KIND


def test_republications_keep_the_lead_and_get_ids_from_their_revision_and_facts() -> None:
    candidate = EmailCandidate(EMAIL, "valid")

    def publish(summary: CompanySummary, revision: int) -> Any:
        company, officer = _rows(summary)
        return events.contact_found(
            company, officer, candidate, NOW, searched_at=NOW, revision=revision
        )

    first, again = publish(BEFORE_THE_KIND, 0), publish(WITH_THE_KIND, 1)
    assert again.contact_key == first.contact_key
    assert again.company.strike_off_kind == "compulsory"
    assert again.event_id != first.event_id
    assert publish(WITH_THE_KIND, 1).event_id == again.event_id, "a retry dedupes"
    # Facts flipping back are news again: the revision keeps the id new.
    assert publish(BEFORE_THE_KIND, 2).event_id not in {first.event_id, again.event_id}
