"""Render company facts as the JSON resources of the REST and Streaming APIs (A.3, A.4).

The same profile document is served by ``GET /company/{n}`` and carried as ``data`` of
``company-profile`` stream events, as the documentation says.
"""

from __future__ import annotations

from string import capwords
from typing import Any

from .company_facts import Address, CompanyFacts
from .dates import iso

_API_COUNTRY = {
    "ENGLAND": "England",
    "WALES": "Wales",
    "SCOTLAND": "Scotland",
    "NORTHERN IRELAND": "Northern Ireland",
    "UNITED KINGDOM": "United Kingdom",
}


def api_case(text: str) -> str:
    """The API's mixed case for a bulk-file upper-case value ("ST MARY'S" -> "St Mary's")."""
    return capwords(text.replace("\n", ", ").lower())


def registered_office(address: Address) -> dict[str, str]:
    out: dict[str, str] = {"address_line_1": api_case(address.line_1)}
    if address.line_2:
        out["address_line_2"] = api_case(address.line_2)
    if address.care_of:
        out["care_of"] = api_case(address.care_of)
    if address.country:
        out["country"] = _API_COUNTRY.get(address.country, api_case(address.country))
    out["locality"] = api_case(address.town)
    if address.po_box:
        out["po_box"] = address.po_box.removeprefix("PO BOX ")
    out["postal_code"] = address.postcode
    if address.county:
        out["region"] = api_case(address.county)
    return out


def company_profile(facts: CompanyFacts, *, include_status_detail: bool = True) -> dict[str, Any]:
    """The company profile resource; ``include_status_detail=False`` drops the detail."""
    number = facts.number
    links: dict[str, str] = {
        "filing_history": f"/company/{number}/filing-history",
        "officers": f"/company/{number}/officers",
        "persons_with_significant_control": f"/company/{number}/persons-with-significant-control",
        "self": f"/company/{number}",
    }
    if facts.charges[0]:
        links["charges"] = f"/company/{number}/charges"
    if facts.insolvent:
        links["insolvency"] = f"/company/{number}/insolvency"
    profile: dict[str, Any] = {
        "can_file": facts.status not in ("dissolved", "converted-closed", "removed", "closed"),
        "company_name": facts.name,
        "company_number": number,
        "company_status": facts.status,
        "date_of_creation": iso(facts.created),
        "etag": facts.etag,
        "has_charges": facts.charges[0] > 0,
        "has_insolvency_history": facts.insolvent,
        "jurisdiction": facts.jurisdiction,
        "links": links,
        "registered_office_address": registered_office(facts.address),
        "registered_office_is_in_dispute": False,
        "type": facts.kind.api_type,
        "undeliverable_registered_office_address": False,
    }
    if facts.status_detail is not None and include_status_detail:
        profile["company_status_detail"] = facts.status_detail
    if facts.ceased is not None:
        profile["date_of_cessation"] = iso(facts.ceased)
    if facts.sic:
        profile["sic_codes"] = list(facts.sic)
    if facts.kind.subtype:
        profile["subtype"] = facts.kind.subtype
    if facts.has_super_secure_pscs is not None:
        profile["has_super_secure_pscs"] = facts.has_super_secure_pscs
    if facts.previous_names:
        profile["previous_company_names"] = [
            {
                "ceased_on": iso(p.ceased_on),
                "effective_from": iso(p.effective_from),
                "name": p.name,
            }
            for p in facts.previous_names
        ]
    accounts = facts.accounts
    if accounts is not None:
        next_accounts = {
            "due_on": iso(accounts.next_due),
            "overdue": accounts.overdue,
            "period_end_on": iso(accounts.next_made_up_to),
            "period_start_on": iso(accounts.next_period_start),
        }
        block: dict[str, Any] = {
            # Documented as integers but served as zero-padded strings (A.3 quirk).
            "accounting_reference_date": {
                "day": f"{accounts.ref_day:02d}",
                "month": f"{accounts.ref_month:02d}",
            },
            "next_accounts": next_accounts,
            "next_due": iso(accounts.next_due),
            "next_made_up_to": iso(accounts.next_made_up_to),
            "overdue": accounts.overdue,
        }
        if accounts.last_made_up is not None and accounts.last_period_start is not None:
            block["last_accounts"] = {
                "made_up_to": iso(accounts.last_made_up),
                "period_end_on": iso(accounts.last_made_up),
                "period_start_on": iso(accounts.last_period_start),
                "type": accounts.api_type,
            }
        profile["accounts"] = block
    cs = facts.confirmation
    if cs is not None:
        statement: dict[str, Any] = {
            "next_due": iso(cs.next_due),
            "next_made_up_to": iso(cs.next_made_up_to),
            "overdue": cs.overdue,
        }
        if cs.last_made_up is not None:
            statement["last_made_up_to"] = iso(cs.last_made_up)
        profile["confirmation_statement"] = statement
    return profile


def officer_counts(items: list[dict[str, Any]], *, company_closed: bool) -> tuple[int, int, int]:
    """(active, resigned, inactive); officers of a closed company without a resignation are
    inactive rather than active (A.4)."""
    resigned = sum(1 for item in items if "resigned_on" in item)
    current = len(items) - resigned
    if company_closed:
        return 0, resigned, current
    return current, resigned, 0
