"""Decoding result bodies: the reference fixtures, every no-domain shape, both status spellings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snov_enricher.results import (
    EmailCandidate,
    ResultError,
    TaskStatus,
    best_email,
    charged_credits,
    parse_domain_result,
    parse_email_result,
    task_status,
)

FIXTURES = Path(__file__).parent / "fixtures"


def test_the_reference_domain_result_maps_each_sent_name_to_its_domain() -> None:
    body = (FIXTURES / "snov_domain_by_name_result.json").read_bytes()
    result = parse_domain_result(body, ["Brightwater Analytics", "Keller & Voss Logistics"])
    assert result.status is TaskStatus.COMPLETED
    assert result.domains == {
        "Brightwater Analytics": "brightwateranalytics.com",
        "Keller & Voss Logistics": "kellervoss.de",
    }


@pytest.mark.parametrize("entry", [{"result": None}, {"result": {}}, {"result": []}, None])
def test_every_no_domain_shape_means_none(entry: dict[str, object] | None) -> None:
    data = [{"name": "Found Ltd", "result": {"domain": "found.co.uk"}}]
    if entry is not None:
        data.append({"name": "Lost Ltd", **entry})
    body = json.dumps({"status": "completed", "data": data}).encode()
    result = parse_domain_result(body, ["Found Ltd", "Lost Ltd"])
    assert result.domains == {"Found Ltd": "found.co.uk", "Lost Ltd": None}


def test_an_entry_whose_name_differs_only_in_form_is_matched_by_normalised_name() -> None:
    body = b'{"status":"completed","data":[{"name":"ACME LIMITED","result":{"domain":"ACME.com"}}]}'
    assert parse_domain_result(body, ["Acme Ltd"]).domains == {"Acme Ltd": "acme.com"}


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("in progress", TaskStatus.IN_PROGRESS),
        ("in_progress", TaskStatus.IN_PROGRESS),
        ("completed", TaskStatus.COMPLETED),
        ("not_enough_credits", TaskStatus.NOT_ENOUGH_CREDITS),
        ("exploded", TaskStatus.UNKNOWN),
        (None, TaskStatus.UNKNOWN),
    ],
)
def test_status_spellings_map_to_one_value(raw: str | None, status: TaskStatus) -> None:
    assert task_status(raw) is status


def test_an_in_progress_result_reports_no_domains() -> None:
    result = parse_domain_result(b'{"status": "in progress", "data": []}', ["A"])
    assert result.status is TaskStatus.IN_PROGRESS
    assert result.domains == {"A": None}


def test_the_reference_email_result_keeps_smtp_status_and_reason_per_row() -> None:
    body = (FIXTURES / "snov_emails_by_name_result.json").read_bytes()
    result = parse_email_result(body, [("Maria", "Lindqvist"), ("Jonas", "Keller")])
    assert result.emails == {
        0: (EmailCandidate("maria.lindqvist@brightwateranalytics.com", "valid"),),
        1: (EmailCandidate("j.keller@kellervoss.de", "unknown", "catchall"),),
    }


def test_two_people_of_the_same_name_in_one_batch_keep_their_own_results() -> None:
    data = [
        {"people": "Catherine Rossi", "result": []},
        {"people": "Jonas Keller", "result": [{"email": "j@keller.de", "smtp_status": "valid"}]},
        {
            "people": "Catherine Rossi",
            "result": [{"email": "c@falcon.com", "smtp_status": "valid"}],
        },
    ]
    body = json.dumps({"status": "completed", "data": data}).encode()
    sent = [("Catherine", "Rossi"), ("Jonas", "Keller"), ("Catherine", "Rossi")]
    result = parse_email_result(body, sent)
    assert result.emails == {
        0: (),
        1: (EmailCandidate("j@keller.de", "valid"),),
        2: (EmailCandidate("c@falcon.com", "valid"),),
    }


def test_entries_out_of_row_order_still_go_to_distinct_rows_of_the_same_name() -> None:
    data = [
        {"people": "Ann Lee", "result": [{"email": "ann@a.com", "smtp_status": "valid"}]},
        {"people": "Ann Lee", "result": [{"email": "ann@b.com", "smtp_status": "valid"}]},
    ]
    body = json.dumps({"status": "completed", "data": data}).encode()
    result = parse_email_result(body, [("Bo", "Chan"), ("Ann", "Lee"), ("Ann", "Lee")])
    assert set(result.emails) == {1, 2}


def test_the_reference_webhook_body_decodes_like_a_result() -> None:
    body = (FIXTURES / "snov_webhook_event.json").read_bytes()
    result = parse_email_result(body, [("Priya", "Raman")])
    assert result.emails[0][0].email == "priya.raman@northfieldhealth.org"


def test_a_body_that_is_not_json_is_an_error() -> None:
    with pytest.raises(ResultError):
        parse_email_result(b"<html>", [])


def test_only_valid_emails_qualify_unless_unknown_is_included() -> None:
    unknown = EmailCandidate("a@x.co.uk", "unknown", "catchall")
    valid = EmailCandidate("b@x.co.uk", "valid")
    assert best_email((unknown,), include_unknown=False) is None
    assert best_email((unknown,), include_unknown=True) == unknown
    assert best_email((unknown, valid), include_unknown=True) == valid
    assert charged_credits((unknown, valid, EmailCandidate("c@x.co.uk", "not_valid"))) == 2
