"""Domains and e-mail contacts found by snov-enricher.

Subjects: ``enrichment.domain.resolved``, ``contacts.found``.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from leadpipe_contracts._base import Address, Event


class DomainResolved(Event, frozen=True, kw_only=True, tag="enrichment.domain.resolved.v1"):
    """The outcome of a company → domain search.

    Attributes:
        normalised_name: The name as searched (legal suffixes stripped); the cache key.
        found: Whether a domain was found; no domain means no e-mail search.
    """

    company_number: str
    company_name: str
    normalised_name: str
    found: bool
    domain: str | None = None
    confidence: float | None = None


class CompanySummary(msgspec.Struct, frozen=True, kw_only=True):
    """What a contact carries of its company."""

    company_number: str
    company_name: str
    domain: str | None = None
    address: Address | None = None
    sic_codes: tuple[str, ...] = ()
    strike_off_kind: str | None = None
    strike_off_entered_on: dt.date | None = None
    lead_score: float | None = None


class OfficerSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What a contact carries of its officer."""

    officer_id: str | None
    first_name: str
    last_name: str
    role: str


class ContactFound(Event, frozen=True, kw_only=True, tag="contacts.found.v1"):
    """A director with a business e-mail: a lead ready for the CRM.

    Attributes:
        contact_key: Stable identity of the lead: company number + officer id; the CRM upsert key.
        smtp_status: Snov.io's ``valid`` or ``unknown``.
        unknown_status_reason: Snov.io's reason when ``unknown`` (``catchall`` …).
    """

    contact_key: str
    company: CompanySummary
    officer: OfficerSummary
    email: str
    smtp_status: str
    unknown_status_reason: str | None = None
    confidence: float | None = None


EnrichmentEvent = DomainResolved | ContactFound
