"""Erasure requests match people by fingerprints of officer id, e-mail or name."""

from __future__ import annotations

from query_api.projections import covered_by_erasure, person_fingerprints


def _request(
    *,
    officer_id: str | None = None,
    email: str | None = None,
    name_key: str | None = None,
    company_number: str | None = None,
) -> dict[str, str | None]:
    hashes = person_fingerprints(officer_id=officer_id, email=email, name_key=name_key)
    return {**hashes, "company_number": company_number}


def test_a_request_keeps_no_identifier_in_the_clear() -> None:
    request = _request(officer_id="o1", email="Jane@X.example", name_key="doe jane")
    assert not {"o1", "jane@x.example", "Jane@X.example", "doe jane"} & set(request.values())


def test_erasure_requests_match_by_id_email_or_name_within_a_company() -> None:
    request = [_request(email="Jane@X.example", name_key="doe jane", company_number="01234567")]
    match = covered_by_erasure
    assert match(
        request, officer_id=None, name_key=None, company_number=None, email="jane@x.example"
    )
    assert match(
        request, officer_id="z", name_key="doe jane", company_number="01234567", email=None
    )
    assert not match(
        request, officer_id="z", name_key="doe jane", company_number="99999999", email=None
    )
    assert not match(request, officer_id=None, name_key="roe jane", company_number=None, email=None)
    by_id = [_request(officer_id="o1")]
    assert match(by_id, officer_id="o1", name_key=None, company_number=None, email=None)
    assert not match(by_id, officer_id="o2", name_key=None, company_number=None, email=None)
    anywhere = [_request(name_key="doe jane")]
    assert match(anywhere, officer_id=None, name_key="doe jane", company_number="1", email=None)
    assert not match([], officer_id="o1", name_key="doe jane", company_number="1", email="a@b.c")
