"""When a lead's ``ContactFound`` must be published (again).

A contact carries a summary of its company (strike-off kind and date, lead score, address, SIC
codes …), and those facts often arrive or change after the contact was found: the strike-off
kind comes with ``StrikeOffEntered``, a new filing changes the score. snov-enricher owns those
facts, so it tells its consumers: the ``contacts`` row remembers a fingerprint of the summary it
last published, and a summary that no longer matches publishes the lead again — same
``contact_key``, next revision, no new search.

Each publication of a lead gets a later ``occurred_at`` than the one before, whatever the clock
did in between: consumers keep the newest publication of a lead (query-api by ``occurred_at``,
crm-sync too), so an older one redelivered late can never overwrite a newer one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

import msgspec

from leadpipe_contracts.enrichment import CompanySummary

_STEP = dt.timedelta(microseconds=1)


@dataclasses.dataclass(frozen=True)
class Published:
    """What consumers were last told about a lead (from its ``contacts`` row).

    Attributes:
        email: The address published.
        summary_hash: Fingerprint of the company summary published; None for contacts published
            before summaries were fingerprinted (their summary is unknown, so any fact event
            publishes them again once).
        revision: How many times the lead was published before the last one.
        published_at: ``occurred_at`` of the last publication (None: not recorded).
    """

    email: str
    summary_hash: str | None
    revision: int
    published_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class Publication:
    """A ``ContactFound`` to publish: its revision, time and summary fingerprint."""

    revision: int
    occurred_at: dt.datetime
    summary_hash: str


def summary_fingerprint(summary: CompanySummary) -> str:
    """SHA-256 of the summary as sent on the wire (field order is fixed by the struct)."""
    return hashlib.sha256(msgspec.json.encode(summary)).hexdigest()


def next_publication(
    previous: Published | None, email: str, summary: CompanySummary, now: dt.datetime
) -> Publication | None:
    """The publication a lead needs now, or None when consumers already have exactly this.

    A lead never published is published as revision 0. One whose e-mail or company summary
    differs from what was published is published as the next revision, at ``now`` or just after
    the previous publication if the clock is behind it.
    """
    digest = summary_fingerprint(summary)
    if previous is None:
        return Publication(revision=0, occurred_at=now, summary_hash=digest)
    if previous.email == email and previous.summary_hash == digest:
        return None
    occurred_at = now
    if previous.published_at is not None and previous.published_at >= now:
        occurred_at = previous.published_at + _STEP
    return Publication(revision=previous.revision + 1, occurred_at=occurred_at, summary_hash=digest)
