"""Filters become SQL with bind parameters only; user text never reaches the statement."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from query_api import domain
from query_api.adapters import readmodel
from query_api.filters import CompanyFilter, CompanyQuery, LeadQuery, Params, where_companies


def test_every_filter_becomes_a_bound_condition() -> None:
    query = CompanyFilter(
        status="strike_off",
        company_status="active",
        entered_from=dt.date(2026, 1, 1),
        left_to=dt.date(2026, 12, 31),
        sic=["62012"],
        sic_section=["J"],
        region=["London", "Unknown"],
        postcode_area=["SW"],
        has_officers=True,
        has_domain=False,
        has_email=True,
        synced=False,
        score_min=10,
        score_max=90,
        q="acme widgets",
    )
    params = Params()
    sql = " AND ".join(where_companies(query, params, "co."))
    assert "acme" not in sql
    assert params.values[-1] == "acme:* & widgets:*"
    assert "co.region IS NULL" in sql
    assert "NOT (coalesce(co.domain_found, false))" in sql
    assert sql.count("$") == len(params.values)


REFERENCE, _, _ = readmodel.companies_statement(
    CompanyQuery(q="x"), readmodel.COMPANY_SUMMARY, CompanyQuery(q="x")
)


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=100))
def test_search_text_is_always_a_parameter(text: str) -> None:
    query = CompanyQuery(q=text)
    sql, _, _ = readmodel.companies_statement(query, readmodel.COMPANY_SUMMARY, query)
    if domain.search_query(text) is not None:
        # Whatever the text, the statement is the same; only the bound value differs.
        assert sql == REFERENCE
        assert text not in sql or text in REFERENCE


def test_leads_add_the_contact_key_to_the_keyset() -> None:
    query = LeadQuery(sort="name", order="asc", limit=10)
    sql, values, keys = readmodel.leads_statement(query, readmodel.LEAD_SUMMARY, query)
    assert keys == ["_k0", "_k1", "_k2"]
    assert "ORDER BY co.company_name ASC, co.company_number ASC, c.contact_key ASC" in sql
    assert values == [11]


@pytest.mark.parametrize(
    "bad",
    [
        {"sic": ["123"]},
        {"region": ["Atlantis"]},
        {"entered_from": "2026-02-01", "entered_to": "2026-01-01"},
        {"score_min": 5, "score_max": 1},
        {"surprise": True},
        {"q": ""},
    ],
)
def test_invalid_filters_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CompanyFilter.model_validate(bad)


def test_one_region_or_area_is_compared_with_equality_so_an_index_gives_the_order() -> None:
    params = Params()
    sql = " AND ".join(
        where_companies(CompanyFilter(region=["London"], postcode_area=["M"]), params, "co.")
    )
    assert sql == "(co.region = $1) AND co.postcode_area = $2"
    assert params.values == ["London", "M"]
    params = Params()
    sql = " AND ".join(
        where_companies(
            CompanyFilter(region=["London", "Wales", "Unknown"], postcode_area=["M", "EH"]),
            params,
            "co.",
        )
    )
    assert sql == (
        "(co.region = ANY($1::text[]) OR co.region IS NULL) AND co.postcode_area = ANY($2::text[])"
    )
    assert params.values == [["London", "Wales"], ["M", "EH"]]
