"""The events snov-enricher publishes, built from its rows with deterministic ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from leadpipe_contracts import Address, derive_id
from leadpipe_contracts.enrichment import (
    CompanySummary,
    ContactFound,
    DomainResolved,
    OfficerSummary,
)
from leadpipe_contracts.status import CreditStatus
from snov_enricher.republish import summary_fingerprint
from snov_enricher.results import EmailCandidate, email_confidence

_address_decoder = msgspec.json.Decoder(Address)


def domain_resolved(company: Any, now: dt.datetime, task_ref: str | None) -> DomainResolved:
    """The outcome of a company's domain search (``company`` is a ``companies`` row)."""
    found = company["domain_state"] == "found"
    return DomainResolved(
        event_id=derive_id("domain-resolved", company["company_number"], company["domain"]),
        occurred_at=now,
        causation_id=task_ref,
        company_number=company["company_number"],
        company_name=company["company_name"] or company["normalised_name"] or "",
        normalised_name=company["normalised_name"] or "",
        found=found,
        domain=company["domain"] if found else None,
        confidence=company["domain_confidence"] if found else None,
    )


def contact_key(company_number: str, officer_key: str) -> str:
    """The lead's stable identity: company number and officer id."""
    return f"{company_number}:{officer_key}"


def company_summary(company: Any) -> CompanySummary:
    """What a contact carries of its company (``company`` is a ``companies`` row)."""
    address = company["address"]
    return CompanySummary(
        company_number=company["company_number"],
        company_name=company["company_name"] or company["normalised_name"] or "",
        domain=company["domain"],
        address=_address_decoder.decode(address) if address else None,
        sic_codes=tuple(company["sic_codes"] or ()),
        strike_off_kind=company["strike_off_kind"],
        strike_off_entered_on=company["strike_off_entered_on"],
        lead_score=company["lead_score"],
    )


def contact_found(
    company: Any,
    officer: Any,
    candidate: EmailCandidate,
    now: dt.datetime,
    *,
    searched_at: dt.datetime | None = None,
    summary: CompanySummary | None = None,
    revision: int = 0,
) -> ContactFound:
    """A director's business e-mail as a lead (rows from ``companies`` and ``officers``).

    ``searched_at`` (when the e-mail search answered) is part of the id: a person erased and
    later found again by a new search is news to every consumer, not a duplicate of the lead
    the erasure removed. A lead published again because its company's facts changed
    (``revision`` > 0) keeps its ``contact_key``; its id adds the revision and the summary's
    fingerprint, so a retried transaction publishes the same id and a later change a new one.
    """
    key = contact_key(company["company_number"], officer["officer_key"])
    summary = summary or company_summary(company)
    id_parts: list[object] = [
        key,
        candidate.email,
        searched_at.isoformat() if searched_at else "",
    ]
    if revision:
        id_parts += [revision, summary_fingerprint(summary)]
    return ContactFound(
        event_id=derive_id("contact-found", *id_parts),
        occurred_at=now,
        contact_key=key,
        company=summary,
        officer=OfficerSummary(
            officer_id=officer["officer_id"],
            first_name=officer["first_name"],
            last_name=officer["last_name"],
            role=officer["role"],
        ),
        email=candidate.email,
        smtp_status=candidate.smtp_status,
        unknown_status_reason=candidate.unknown_status_reason,
        confidence=email_confidence(candidate),
    )


def credit_status(
    *,
    now: dt.datetime,
    period: str,
    budget: int,
    reserved: int,
    charged: int,
    paused: bool,
    reason: str | None,
    balance: float | None,
    daily_cap: int | None,
    charged_today: int,
) -> CreditStatus:
    """The credit position for dashboards (the newest wins)."""
    return CreditStatus(
        event_id=derive_id("credit-status", now.isoformat(), period, charged, reserved, paused),
        occurred_at=now,
        period=period,
        budget=budget,
        reserved=reserved,
        charged=charged,
        paused=paused,
        pause_reason=reason,
        balance=balance,
        daily_cap=daily_cap,
        charged_today=charged_today,
    )
