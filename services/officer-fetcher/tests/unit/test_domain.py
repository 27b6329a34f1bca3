"""Reading officer lists, names, priorities, freshness and ETAs (pure logic)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadpipe_contracts.companies import Source, StrikeOffKind
from leadpipe_contracts.gateway import Priority
from leadpipe_contracts.officers import OfficerKind
from officer_fetcher import domain

FIXTURE = Path("/work/shared/reference/fixtures/ch_officers_list.json")
NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


def document(*items: Any, **top: Any) -> bytes:
    return json.dumps({"kind": "officer-list", "items": list(items), **top}).encode()


@pytest.fixture(scope="module")
def fixture_list() -> domain.OfficerList:
    return domain.parse_officer_list(FIXTURE.read_bytes())


def test_fixture_individual_director_is_read_whole(fixture_list: domain.OfficerList) -> None:
    okafor = fixture_list.officers[0]
    assert okafor.kind is OfficerKind.INDIVIDUAL
    assert (okafor.surname, okafor.forenames, okafor.title) == ("OKAFOR", "Adaeze Chinwe", None)
    assert okafor.role == "director"
    assert okafor.officer_id == "Vq3mTz8LrK0pXwYb5HcJd1FsEaQ"
    assert okafor.appointment_id == "Nf7Kp2QwZx9RtLm4YbVc8JdHs1A"
    assert (okafor.birth_month, okafor.birth_year) == (7, 1984)
    assert okafor.appointed_on == dt.date(2019, 3, 14)
    assert okafor.nationality == "British"
    assert okafor.occupation == "Logistics Manager"
    assert okafor.address is not None
    assert okafor.address.postal_code == "NN4 7QX"
    assert okafor.active
    assert okafor.is_individual_director


def test_fixture_corporate_secretary_keeps_its_name_whole(
    fixture_list: domain.OfficerList,
) -> None:
    secretary = fixture_list.officers[1]
    assert secretary.kind is OfficerKind.CORPORATE
    assert secretary.name == "PENWORTH SECRETARIAL SERVICES LIMITED"
    assert (secretary.surname, secretary.forenames, secretary.title) == (None, None, None)
    assert secretary.birth_year is None
    assert secretary.identification == {
        "identification_type": "uk-limited-company",
        "place_registered": "England And Wales",
        "registration_number": "07733190",
    }


def test_fixture_resigned_director_is_not_active(fixture_list: domain.OfficerList) -> None:
    marchetti = fixture_list.officers[2]
    assert marchetti.resigned_on == dt.date(2023, 11, 30)
    assert not marchetti.active
    assert [o.name for o in fixture_list.active] == [
        "OKAFOR, Adaeze Chinwe",
        "PENWORTH SECRETARIAL SERVICES LIMITED",
    ]
    assert fixture_list.total_results == 3
    assert fixture_list.etag == "b3c94e0f7a1d26c58e90f4a7d1b2c3e4f5a6b7c8"
    assert domain.has_active_individual_director(fixture_list.officers)


def test_title_after_forenames_is_separated() -> None:
    assert domain.parse_name("SMITH, John Paul, Dr", OfficerKind.INDIVIDUAL) == (
        "SMITH",
        "John Paul",
        "Dr",
    )


def test_corporate_body_recorded_as_plain_director_is_corporate() -> None:
    parsed = domain.parse_officer_list(
        document({"name": "ACME NOMINEES LIMITED", "officer_role": "director", "links": {}})
    )
    (officer,) = parsed.officers
    assert officer.kind is OfficerKind.CORPORATE
    assert officer.role == "director"
    assert not officer.is_individual_director
    assert not domain.has_active_individual_director(parsed.officers)


def test_bad_items_are_stored_as_far_as_they_go() -> None:
    parsed = domain.parse_officer_list(
        document(
            {"officer_role": "secretary", "name": "JONES, Mary"},  # no birth date, no links
            {"officer_role": "corporate-director", "identification": "not an object"},
            {"name": "NOBODY, Known", "officer_role": "grand-vizier", "appointed_on": "13/01/2020"},
            {"name": 42, "date_of_birth": {"month": "07", "year": "1980"}, "links": []},
            {"name": "ODD, Date", "date_of_birth": {"month": 13, "year": 99}, "resigned_on": 5},
            {"name": "FIELDS, Missing", "address": {"postal_code": 7, "locality": "Leeds"}},
            "not an item",
            None,
        )
    )
    assert parsed.skipped == 2
    jones, corporate, unknown, nameless, odd, fields = parsed.officers
    assert (jones.surname, jones.forenames, jones.birth_year) == ("JONES", "Mary", None)
    assert jones.officer_id is None
    assert jones.appointment_id is None
    assert corporate.kind is OfficerKind.CORPORATE
    assert corporate.name == ""
    assert corporate.identification is None
    assert unknown.role == "grand-vizier"
    assert unknown.appointed_on is None
    assert nameless.name == ""
    assert (nameless.birth_month, nameless.birth_year) == (7, 1980)
    assert nameless.kind is OfficerKind.INDIVIDUAL
    assert nameless.surname is None
    assert (odd.birth_month, odd.birth_year, odd.resigned_on) == (None, None, None)
    assert fields.address is not None
    assert fields.address.locality == "Leeds"
    assert fields.address.postal_code is None
    assert len({o.appointment_key for o in parsed.officers}) == 6
    assert nameless.to_contract().role == "unknown"


def test_the_same_appointment_on_two_pages_is_kept_once() -> None:
    item = {"name": "A, B", "links": {"self": "/company/00000001/appointments/abc"}}
    parsed = domain.parse_officer_list(document(item, item))
    assert len(parsed.officers) == 1


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"items": {"a": 1}}'])
def test_unreadable_documents_are_refused(body: bytes) -> None:
    with pytest.raises(domain.MalformedOfficerList):
        domain.parse_officer_list(body)


@settings(max_examples=60)
@given(
    st.lists(
        st.dictionaries(
            st.text(max_size=15),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                lambda children: (
                    st.lists(children, max_size=3)
                    | st.dictionaries(st.text(max_size=8), children, max_size=3)
                ),
                max_leaves=8,
            ),
            max_size=8,
        ),
        max_size=5,
    )
)
def test_any_json_items_are_read_without_error(items: list[dict[str, Any]]) -> None:
    parsed = domain.parse_officer_list(msgspec.json.encode({"items": items}))
    assert len(parsed.officers) <= len(items)
    for officer in parsed.officers:
        officer.to_contract()


@given(
    st.text(alphabet=st.characters(blacklist_characters=","), min_size=1, max_size=20),
    st.text(alphabet=st.characters(blacklist_characters=","), min_size=1, max_size=20),
)
def test_surname_and_forenames_round_trip(surname: str, forenames: str) -> None:
    parsed = domain.parse_name(f"{surname}, {forenames}", OfficerKind.INDIVIDUAL)
    assert parsed == (surname.strip() or None, forenames.strip() or None, None)


def test_priority_follows_the_source() -> None:
    assert domain.priority_for(Source.STREAM) is Priority.HIGH
    assert domain.priority_for(Source.REST) is Priority.NORMAL
    assert domain.priority_for(Source.BULK) is Priority.LOW


@pytest.mark.parametrize(
    ("age_days", "stored", "seen", "fresh"),
    [
        (1, "e1", None, True),  # bulk entry: no etag, recent list
        (1, "e1", "e1", True),  # etag unchanged
        (1, "e1", "e2", False),  # company changed
        (31, "e1", "e1", False),  # too old
    ],
)
def test_freshness_needs_recent_fetch_and_unchanged_etag(
    age_days: int, stored: str, seen: str | None, fresh: bool
) -> None:
    assert (
        domain.is_fresh(
            fetched_at=NOW - dt.timedelta(days=age_days),
            fetched_profile_etag=stored,
            event_etag=seen,
            now=NOW,
            freshness=dt.timedelta(days=30),
        )
        is fresh
    )


def test_never_fetched_is_never_fresh() -> None:
    assert not domain.is_fresh(
        fetched_at=None,
        fetched_profile_etag=None,
        event_etag=None,
        now=NOW,
        freshness=dt.timedelta(days=30),
    )


def test_voluntary_stream_entries_score_highest() -> None:
    assert domain.lead_score(StrikeOffKind.VOLUNTARY, Source.STREAM) == 3
    assert domain.lead_score(StrikeOffKind.COMPULSORY, Source.BULK) == 1
    assert domain.lead_score(StrikeOffKind.UNKNOWN, Source.BULK) == 0


@pytest.mark.parametrize(("total", "calls"), [(0, 1), (1, 1), (100, 1), (101, 2), (250, 3)])
def test_an_officer_list_costs_one_call_per_hundred(total: int, calls: int) -> None:
    assert domain.calls_for(total) == calls


def test_eta_is_remaining_over_rate() -> None:
    assert domain.eta_seconds(100, 2.0) == 50.0
    assert domain.eta_seconds(0, None) == 0.0
    assert domain.eta_seconds(10, None) is None


def test_erasure_names_match_regardless_of_order_and_case() -> None:
    assert domain.name_matches("Adaeze Okafor", "OKAFOR, Adaeze Chinwe")
    assert not domain.name_matches("Adaeze Smith", "OKAFOR, Adaeze Chinwe")
    assert not domain.name_matches("", "OKAFOR, Adaeze Chinwe")
    assert domain.name_fingerprint("OKAFOR, Adaeze") == domain.name_fingerprint("adaeze okafor")
