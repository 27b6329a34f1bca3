"""The synthetic population: deterministic, invertible numbers, realistic facts."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from leadpipe_simulators.companies_house import STRIKE_OFF_STATUS, Population
from leadpipe_simulators.companies_house.company_numbers import NumberMapping, is_well_formed

SECRETARY_ROLES = {"secretary"}


def test_same_seed_gives_the_same_register() -> None:
    a, b = Population(11, 3_000), Population(11, 3_000)
    for index in (0, 7, 8, 1234, 2999):
        number = a.number_of(index)
        assert a.profile(number) == b.profile(number)
        assert a.officers(number) == b.officers(number)
    other = Population(12, 3_000)
    number = a.number_of(1234)
    assert a.profile(number) != other.profile(number)


@pytest.mark.parametrize("size", [1, 99, 100, 101, 20_000, 5_500_000])
def test_numbers_are_invertible_and_well_formed(size: int) -> None:
    mapping = NumberMapping(size)
    indices = set(range(min(size, 2_000))) | {size - 1, size // 2, size // 3}
    for index in indices:
        number = mapping.number_of(index)
        assert len(number) == 8
        assert is_well_formed(number)
        assert mapping.index_of(number) == index
    assert mapping.index_of("99999999") is None
    assert mapping.index_of("12345") is None


def test_number_prefixes_follow_the_register_mix() -> None:
    population = Population(7, 10_000)
    prefixes = Counter(
        n[:2] if n[0].isalpha() else "digits" for n in map(population.number_of, range(10_000))
    )
    assert prefixes["digits"] == 9_200
    assert prefixes["SC"] == 500
    assert prefixes["NI"] == 100
    assert prefixes["OC"] == 100


def test_status_mix_is_mostly_active_with_about_7_5_percent_strike_off() -> None:
    population = Population(7, 20_000)
    statuses = Counter(population.base_company(i).bulk_status for i in range(20_000))
    assert 0.065 < statuses[STRIKE_OFF_STATUS] / 20_000 < 0.085
    assert statuses["Active"] / 20_000 > 0.88
    assert population.base_strike_off_count() == statuses[STRIKE_OFF_STATUS]
    strike_off = list(population.strike_off_numbers(limit=5))
    assert len(strike_off) == 5
    for number in strike_off:
        profile = population.profile(number)
        assert profile is not None
        assert profile["company_status"] == "active"
        assert profile["company_status_detail"] == "active-proposal-to-strike-off"


def test_profiles_have_the_documented_shape() -> None:
    population = Population(7, 5_000)
    for index in range(0, 5_000, 97):
        profile = population.profile(population.number_of(index))
        assert profile is not None
        assert {"company_name", "company_number", "type", "links", "can_file", "etag"} <= set(
            profile
        )
        assert re.fullmatch(r"[0-9a-f]{40}", profile["etag"])
        assert profile["links"]["self"] == f"/company/{profile['company_number']}"
        if "accounts" in profile:
            ard = profile["accounts"]["accounting_reference_date"]
            assert isinstance(ard["day"], str)
            assert isinstance(ard["month"], str)
        for code in profile.get("sic_codes", []):
            assert re.fullmatch(r"\d{4,5}", code)


def test_officer_items_follow_a4() -> None:
    population = Population(7, 5_000)
    seen_roles: Counter[str] = Counter()
    for index in range(0, 5_000, 7):
        number = population.number_of(index)
        for item in population.officers(number) or []:
            seen_roles[item["officer_role"]] += 1
            assert item["links"]["self"].startswith(f"/company/{number}/appointments/")
            assert re.fullmatch(
                r"/officers/[A-Za-z0-9_-]{27}/appointments",
                item["links"]["officer"]["appointments"],
            )
            if item["officer_role"] in SECRETARY_ROLES:
                assert "date_of_birth" not in item
                assert "country_of_residence" not in item
            if "identification" in item:
                assert "date_of_birth" not in item
            if "date_of_birth" in item:
                assert set(item["date_of_birth"]) == {"month", "year"}
                assert ", " in item["name"]
                assert item["name"].split(",")[0].isupper()
    assert seen_roles["director"] > seen_roles["secretary"] > 0
    assert seen_roles["llp-designated-member"] > 0


def test_forced_officer_count() -> None:
    population = Population(7, 5_000)
    number = population.number_of(321)
    population.force_officer_count(number, 250)
    items = population.officers(number)
    assert items is not None
    assert len(items) == 250
    assert len({item["links"]["self"] for item in items}) == 250
    built = Population(7, 5_000, officer_counts={number: 250})
    assert built.officers(number) == items


def test_overlay_changes_what_is_served() -> None:
    population = Population(7, 5_000)
    number = population.number_of(42)
    before = population.company(number)
    assert before is not None
    population.update_company(before._replace(name="CHANGED LTD"))
    after = population.company(number)
    assert after is not None
    assert after.name == "CHANGED LTD"
    assert population.base_company(42).name == before.name
    population.remove_company(number)
    assert population.company(number) is None
    assert number not in set(population.iter_numbers())


def test_strike_off_candidates_are_active_companies_with_officers() -> None:
    population = Population(seed=3, size=2_000)
    numbers = population.strike_off_candidates(25)
    assert len(numbers) == 25
    for number in numbers:
        facts = population.company(number)
        assert facts is not None
        assert facts.status == "active"
        assert not facts.is_strike_off
        assert facts.officer_count > 0
