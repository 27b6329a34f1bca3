"""Officer appointments of a synthetic company, in the shape of A.4 ``items[]``.

Derived from ``(seed, company index)`` like the company itself; officer ``k`` of a company is
the same whatever the list length, so forcing a company to have N officers (tests need one with
250) extends or truncates the same list. Items include the documented quirks: secretaries
without date of birth or residence, corporate officers with ``identification``, a few corporate
bodies recorded as plain ``director``, pre-1992 appointments without an exact date, and a few
items with missing address parts.
"""

from __future__ import annotations

import base64
from datetime import date, timedelta
from typing import Any, Final

from . import reference_data as ref
from .company_facts import CompanyFacts, generate_address
from .dates import iso
from .draws import Draws, entity_key
from .resources import api_case

_ROLE_ORDER: Final = {
    "secretary": 0,
    "corporate-secretary": 1,
    "director": 2,
    "corporate-director": 3,
    "llp-designated-member": 4,
    "corporate-llp-designated-member": 5,
    "llp-member": 6,
    "corporate-llp-member": 7,
    "general-partner-in-a-limited-partnership": 8,
    "corporate-general-partner-in-a-limited-partnership": 9,
}
_PRE_1992: Final = date(1992, 1, 1)


def officer_id(draws: Draws) -> str:
    """A 27-character URL-safe identifier like the ones in CH officer links."""
    return base64.urlsafe_b64encode(draws.raw(21)).decode()[:27]


def _role(d: Draws, facts: CompanyFacts, k: int) -> tuple[str, bool]:
    """(officer_role, is_corporate) for officer ``k``."""
    corporate = d.chance(0.04)
    if facts.kind is ref.LLP:
        designated = k < 2 or d.chance(0.3)
        role = "llp-designated-member" if designated else "llp-member"
        return ("corporate-" + role if corporate else role), corporate
    if facts.kind is ref.LP:
        role = "general-partner-in-a-limited-partnership"
        return ("corporate-" + role if corporate else role), corporate
    if k > 0 and d.chance(0.12):
        return ("corporate-secretary" if corporate else "secretary"), corporate
    if corporate and d.chance(0.15):
        return "director", True  # the quirk: a corporate body recorded as plain "director"
    return ("corporate-director" if corporate else "director"), corporate


def _service_address(d: Draws, facts: CompanyFacts) -> dict[str, str]:
    """The correspondence address: usually the registered office, sometimes elsewhere."""
    a = facts.address
    if d.chance(0.7):
        line_1, line_2, town, county, postcode = a.line_1, a.line_2, a.town, a.county, a.postcode
    else:
        elsewhere = generate_address(d, "")
        line_1, line_2, town = elsewhere.line_1, elsewhere.line_2, elsewhere.town
        county, postcode = elsewhere.county, elsewhere.postcode
    address: dict[str, str] = {"address_line_1": api_case(line_1)}
    if line_2:
        address["address_line_2"] = api_case(line_2)
    address["country"] = api_case(a.country) if a.country else "England"
    address["locality"] = api_case(town)
    if d.chance(0.98):  # a few service addresses lack a postcode
        address["postal_code"] = postcode
    if county:
        address["region"] = api_case(county)
    return address


def _person_name(d: Draws) -> str:
    forenames = d.pick(ref.FORENAMES)
    if d.chance(0.45):
        forenames = f"{forenames} {d.pick(ref.MIDDLE_NAMES)}"
    name = f"{d.pick(ref.SURNAMES)}, {forenames}"
    if d.chance(0.02):
        name = f"{name}, {ref.TITLES.pick(d)}"
    return name


def generate_officer(seed: int, facts: CompanyFacts, k: int, as_of: date) -> dict[str, Any]:
    """Officer ``k`` of the company, as an A.4 officer summary item."""
    d = Draws(entity_key(seed, facts.position, b"officer:%d" % k))
    role, corporate = _role(d, facts, k)
    number = facts.number
    span = max(1, (as_of - facts.created).days)
    if (k == 0 or d.chance(0.35)) and span < 14_000:
        appointed = facts.created
    else:
        # Officers of old companies were appointed long after incorporation, not in 1890.
        appointed = as_of - timedelta(days=1 + d.below(min(span, 14_000)))
    resigned: date | None = None
    # The first officer stays unless the list is long; others resign now and then.
    if k > 0 and d.chance(0.22):
        resigned = appointed + timedelta(days=1 + d.below(max(1, (as_of - appointed).days)))
        resigned = min(resigned, as_of - timedelta(days=1))
        if resigned <= appointed:
            resigned = None

    item: dict[str, Any] = {
        "address": _service_address(d, facts),
        "etag": d.hex(20),
        "links": {
            "officer": {"appointments": f"/officers/{officer_id(d)}/appointments"},
            "self": f"/company/{number}/appointments/{officer_id(d)}",
        },
        "officer_role": role,
    }
    if appointed < _PRE_1992 and d.chance(0.5):
        item["appointed_before"] = iso(_PRE_1992)
        item["is_pre_1992_appointment"] = True
    else:
        item["appointed_on"] = iso(appointed)
    if resigned is not None:
        item["resigned_on"] = iso(resigned)

    if corporate:
        words = d.pick(ref.CORPORATE_OFFICER_WORDS)
        item["name"] = f"{d.pick(ref.NAME_WORDS)} {words}"
        item["identification"] = {
            "identification_type": "uk-limited-company",
            "place_registered": d.pick(("England And Wales", "Companies House", "United Kingdom")),
            "registration_number": f"{d.between(100_000, 16_000_000):08d}",
        }
        if d.chance(0.3):
            item["identification"]["legal_authority"] = "Companies Act 2006"
            item["identification"]["legal_form"] = "Limited Company"
        return item

    item["name"] = _person_name(d)
    if role == "secretary":
        # Secretaries have no public date of birth or country of residence.
        if d.chance(0.3):
            item["nationality"] = ref.NATIONALITIES.pick(d)
        return item
    birth_year = min(appointed.year - 18, 2006) - d.below(45)
    item["date_of_birth"] = {"month": 1 + d.below(12), "year": birth_year}
    item["nationality"] = ref.NATIONALITIES.pick(d)
    if d.chance(0.97):  # occupation is missing on some older records
        item["occupation"] = ref.OCCUPATIONS.pick(d)
    residence = api_case(facts.address.country) if facts.address.country else "England"
    item["country_of_residence"] = d.pick((residence, residence, "United Kingdom"))
    return item


def sort_key(item: dict[str, Any]) -> tuple[bool, int, str]:
    """CH's default order: current before resigned, then role order, then name."""
    return ("resigned_on" in item, _ROLE_ORDER.get(item["officer_role"], 99), item["name"])


def generate_officers(
    seed: int, facts: CompanyFacts, count: int, as_of: date
) -> list[dict[str, Any]]:
    items = [generate_officer(seed, facts, k, as_of) for k in range(count)]
    items.sort(key=sort_key)
    return items
