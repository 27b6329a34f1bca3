"""Regions, SIC sections, name keys, search queries and cursors."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from query_api import domain


@pytest.mark.parametrize(
    ("postcode", "area", "region"),
    [
        ("SW1A 1AA", "SW", "London"),
        ("m1 1ae", "M", "North West"),
        ("EH1 1YZ", "EH", "Scotland"),
        ("CF10 1EP", "CF", "Wales"),
        ("BT1 5GS", "BT", "Northern Ireland"),
        ("B1 1AA", "B", "West Midlands"),
        ("", None, None),
        (None, None, None),
        ("75008 Paris", None, None),
        ("ZZ9 9ZZ", "ZZ", None),
    ],
)
def test_postcodes_map_to_their_area_and_region(
    postcode: str | None, area: str | None, region: str | None
) -> None:
    assert domain.postcode_area(postcode) == area
    assert domain.region_of(postcode) == region


@pytest.mark.parametrize(
    ("code", "section"),
    [
        ("01110", "A"),
        ("10710", "C"),
        ("43910", "F"),
        ("62012", "J"),
        ("99999", "U"),
        ("68100", "L"),
        ("04000", None),
        ("x1234", None),
        ("", None),
    ],
)
def test_sic_codes_fall_in_their_2007_section(code: str, section: str | None) -> None:
    assert domain.sic_section(code) == section


def test_sic_sections_are_distinct_and_sorted() -> None:
    assert domain.sic_sections(("62012", "43910", "62020", "bad")) == ["F", "J"]


def test_name_keys_ignore_order_case_punctuation_accents_and_titles() -> None:
    assert domain.name_key("SMITH, John Peter") == domain.name_key("Mr john peter Smith")
    assert domain.name_key("BRONTË, Zoë") == domain.name_key("Zoe Bronte")
    assert domain.name_key("SMITH, John") != domain.name_key("SMITH, Jane")
    assert domain.name_key("  ") is None
    assert domain.name_key(None) is None


@given(st.text(max_size=200))
def test_search_queries_only_ever_contain_prefix_words(text: str) -> None:
    query = domain.search_query(text)
    if query is not None:
        for term in query.split(" & "):
            assert term.endswith(":*")
            assert all(ch.isalnum() or ch == "_" for ch in term[:-2])


def test_search_query_of_words_is_anded_prefixes() -> None:
    assert domain.search_query("Acme  Widgets!") == "acme:* & widgets:*"
    assert domain.search_query("!!!") is None


values = st.one_of(
    st.text(max_size=30).filter(lambda text: "\x00" not in text),
    st.dates(min_value=dt.date(1, 1, 1)),
    st.floats(allow_nan=False, allow_infinity=False),
)


@given(st.lists(values, min_size=1, max_size=3))
def test_cursors_round_trip(keys: list[object]) -> None:
    kinds = tuple(
        "date" if isinstance(v, dt.date) else "float" if isinstance(v, float) else "text"
        for v in keys
    )
    cursor = domain.encode_cursor("name:asc", keys)
    assert domain.decode_cursor(cursor, "name:asc", kinds) == keys


@given(st.text(max_size=100))
def test_any_text_is_either_a_valid_cursor_or_a_cursor_error(text: str) -> None:
    with contextlib.suppress(domain.CursorError):
        domain.decode_cursor(text, "name:asc", ("text", "text"))


def test_a_cursor_of_another_sort_is_refused() -> None:
    cursor = domain.encode_cursor("name:asc", ["ACME", "01234567"])
    with pytest.raises(domain.CursorError):
        domain.decode_cursor(cursor, "name:desc", ("text", "text"))
    with pytest.raises(domain.CursorError):
        domain.decode_cursor(cursor, "name:asc", ("date", "text"))
