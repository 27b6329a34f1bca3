"""The lead score: documented points, bounded, and orders obvious cases sensibly."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from snov_enricher.score import LeadFacts, lead_score, postcode_area

TODAY = dt.date(2026, 11, 22)


def test_a_trading_london_company_outscores_a_dormant_shell() -> None:
    trading = LeadFacts(
        sic_codes=("70229",),
        accounts_category="full",
        date_of_creation=dt.date(2019, 1, 1),
        director_count=2,
        strike_off_kind="compulsory",
        postal_code="EC1A 1BB",
    )
    shell = LeadFacts(
        sic_codes=("99999",),
        accounts_category="dormant",
        date_of_creation=dt.date(2026, 6, 1),
        director_count=1,
        strike_off_kind="voluntary",
    )
    assert lead_score(trading, TODAY) == 50 + 10 + 10 + 10 + 5 + 8 + 5
    assert lead_score(shell, TODAY) == 0, "50 - 25 - 20 - 5 + 3 - 5 = -2, clamped to 0"


def test_unknown_facts_only_cost_the_missing_postcode() -> None:
    assert lead_score(LeadFacts(), TODAY) == 45


def test_postcode_areas_are_read_from_uk_postcodes_only() -> None:
    assert postcode_area("sw1a 1aa") == "SW"
    assert postcode_area("E1 6AN") == "E"
    assert postcode_area("75008") is None


@given(
    sic=st.lists(st.sampled_from(["99999", "74990", "62020", ""]), max_size=3),
    accounts=st.sampled_from([None, "dormant", "full", "small", "other"]),
    overdue=st.booleans(),
    age_days=st.integers(min_value=0, max_value=40_000),
    directors=st.integers(min_value=0, max_value=50),
    kind=st.sampled_from([None, "voluntary", "compulsory", "unknown"]),
    postcode=st.sampled_from([None, "EC1A 1BB", "LS1 4AP", "nonsense"]),
)
def test_the_score_stays_between_0_and_100(
    sic: list[str],
    accounts: str | None,
    overdue: bool,
    age_days: int,
    directors: int,
    kind: str | None,
    postcode: str | None,
) -> None:
    facts = LeadFacts(
        sic_codes=tuple(sic),
        accounts_category=accounts,
        accounts_overdue=overdue,
        date_of_creation=TODAY - dt.timedelta(days=age_days),
        director_count=directors,
        strike_off_kind=kind,
        postal_code=postcode,
    )
    assert 0 <= lead_score(facts, TODAY) <= 100
