"""The lead score: which pending companies deserve Snov.io credits first.

A transparent additive score from 0 to 100 over facts the pipeline already has (the formula and
its reasons are in ``docs/services/snov-enricher.md``). Start at 50, then:

==========================================  =====
fact                                        points
==========================================  =====
a trading SIC code (not 99999 / 74990)      +10
only dormant/non-trading SIC codes          -25
no SIC code known                             0
last accounts dormant                       -20
last accounts full / medium / group         +10
last accounts small / micro / abridged ...   +5
accounts overdue                             -5
company age < 1 year                         -5
company age 1-3 years                        +5
company age 3-10 years                      +10
company age > 10 years                       +5
2-3 active individual directors              +5
4 or more                                    +3
compulsory strike-off (registrar)            +8
voluntary strike-off (directors, DS01)       +3
registered office in a London postcode area  +5
elsewhere in the UK                          +2
no or non-UK postcode                        -5
==========================================  =====

The result is clamped to [0, 100]. Unknown facts score 0 so a company whose profile has not
arrived yet is neither favoured nor buried.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

DORMANT_SIC = frozenset({"99999", "74990"})
_LARGE_ACCOUNTS = frozenset({"full", "medium", "group", "interim", "initial"})
_SMALL_ACCOUNTS = frozenset(
    {
        "small",
        "micro-entity",
        "total-exemption-full",
        "total-exemption-small",
        "audit-exemption-subsidiary",
        "filing-exemption-subsidiary",
        "partial-exemption",
        "unaudited-abridged",
        "audited-abridged",
    }
)
_LONDON_AREAS = frozenset({"EC", "WC", "E", "N", "NW", "SE", "SW", "W"})
_UK_POSTCODE = re.compile(r"^([A-Z]{1,2})[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")


@dataclasses.dataclass(frozen=True)
class LeadFacts:
    """What the score reads; every fact is optional."""

    sic_codes: tuple[str, ...] = ()
    accounts_category: str | None = None
    accounts_overdue: bool | None = None
    date_of_creation: dt.date | None = None
    director_count: int = 0
    strike_off_kind: str | None = None
    postal_code: str | None = None


def postcode_area(postal_code: str | None) -> str | None:
    """The letters of a UK postcode's area (``SW`` of ``SW1A 1AA``), or None if not UK-shaped."""
    if not postal_code:
        return None
    match = _UK_POSTCODE.match(postal_code.strip().upper())
    return match.group(1) if match else None


def _age_points(created: dt.date | None, today: dt.date) -> int:
    if created is None:
        return 0
    years = (today - created).days / 365.25
    if years < 1:
        return -5
    if years < 3:
        return 5
    if years <= 10:
        return 10
    return 5


def lead_score(facts: LeadFacts, today: dt.date) -> float:
    """The score of a company on ``today`` (see the module docstring for the table)."""
    score = 50
    codes = {code.strip() for code in facts.sic_codes if code.strip()}
    if codes:
        score += -25 if codes <= DORMANT_SIC else 10
    category = (facts.accounts_category or "").strip().lower()
    if category == "dormant":
        score -= 20
    elif category in _LARGE_ACCOUNTS:
        score += 10
    elif category in _SMALL_ACCOUNTS:
        score += 5
    if facts.accounts_overdue:
        score -= 5
    score += _age_points(facts.date_of_creation, today)
    if 2 <= facts.director_count <= 3:
        score += 5
    elif facts.director_count >= 4:
        score += 3
    if facts.strike_off_kind == "compulsory":
        score += 8
    elif facts.strike_off_kind == "voluntary":
        score += 3
    area = postcode_area(facts.postal_code)
    if area is None:
        score -= 5
    else:
        score += 5 if area in _LONDON_AREAS else 2
    return float(min(100, max(0, score)))
