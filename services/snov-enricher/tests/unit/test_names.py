"""Name normalisation (the paid-result cache key) and officer name parsing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from snov_enricher.names import (
    domain_confidence,
    normalise_company_name,
    person_key,
    split_officer_name,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ACME LTD", "ACME"),
        ("Acme Limited", "ACME"),
        ("The Acme (UK) Ltd.", "ACME"),
        ("ACME PUBLIC LIMITED COMPANY", "ACME"),
        ("CWMNI ACME CYFYNGEDIG", "CWMNI ACME"),
        ("ACME CYF", "ACME"),
        ("SMITH & SONS LIMITED", "SMITH AND SONS"),
        ("Café Nero Holdings PLC", "CAFE NERO HOLDINGS"),
        ("LIMITED", "LIMITED"),
        ("THE LTD", "THE"),
    ],
)
def test_legal_forms_punctuation_and_a_leading_the_are_stripped(name: str, expected: str) -> None:
    assert normalise_company_name(name) == expected


@given(st.text(max_size=80))
def test_normalising_twice_changes_nothing(name: str) -> None:
    once = normalise_company_name(name)
    assert normalise_company_name(once) == once


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ", min_size=1, max_size=40))
def test_a_name_with_letters_or_digits_never_normalises_to_nothing(name: str) -> None:
    if name.strip():
        assert normalise_company_name(name)


def test_officer_names_come_from_parsed_parts_or_the_listed_name() -> None:
    assert split_officer_name("DOE, Jane Mary", "Jane Mary", "DOE") == ("Jane", "Doe")
    assert split_officer_name("MCDONALD, Ian, Dr", None, None) == ("Ian", "Mcdonald")
    assert split_officer_name("de Souza, Ana", None, None) == ("Ana", "de Souza")
    assert split_officer_name("ACME NOMINEES", None, None) is None


def test_the_email_cache_key_ignores_case_and_spaces() -> None:
    assert person_key(" Jane", "DOE ", "Acme.co.uk") == person_key("jane", "doe", "acme.co.uk")


def test_domain_confidence_is_high_when_the_domain_spells_the_name() -> None:
    assert domain_confidence("ACME WIDGETS", "acmewidgets.co.uk") == 1.0
    assert domain_confidence("ACME WIDGETS", "zz-other.com") == 0.3
