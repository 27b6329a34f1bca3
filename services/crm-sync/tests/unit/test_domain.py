"""Mapping a lead to a GoHighLevel contact, hashing it, tag changes and person keys."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from crm_sync.domain import (
    FieldIds,
    company_has_left,
    contact_person_keys,
    desired_tags,
    erasure_keys,
    managed_tags,
    map_contact,
    payload_hash,
    superseded,
    tag_changes,
)
from crm_sync.settings import LeftAction
from leadpipe_contracts import Address, utcnow
from leadpipe_contracts.enrichment import CompanySummary, ContactFound, OfficerSummary
from leadpipe_contracts.privacy import PrivacyErasureRequested

FIELDS = FieldIds("f-number", "f-date", "f-role", "f-score")
BASE = ("strike-off", "leadpipe")
FIXTURE = Path("/work/shared/reference/fixtures/ghl_contact_upsert_request.json")


def lead(**company: object) -> ContactFound:
    summary = {
        "company_number": "09000001",
        "company_name": " Brightwater Analytics Ltd ",
        "domain": "Brightwater.example",
        "address": Address(
            premises="12",
            address_line_1="High Street",
            address_line_2="Headingley",
            locality="Leeds",
            region="West Yorkshire",
            postal_code="LS1 4AB",
            country="England",
        ),
        "strike_off_kind": "compulsory",
        "strike_off_entered_on": dt.date(2026, 11, 3),
        "lead_score": 71.456,
        **company,
    }
    return ContactFound(
        event_id="e1",
        occurred_at=utcnow(),
        contact_key="09000001:o1",
        company=CompanySummary(**summary),  # type: ignore[arg-type]
        officer=OfficerSummary(
            officer_id="o1", first_name="Maria", last_name="O'BRIEN", role="director"
        ),
        email="Maria.OBrien@Brightwater.example",
        smtp_status="valid",
    )


def test_a_lead_maps_to_the_documented_upsert_fields_with_custom_fields_by_id() -> None:
    mapped = map_contact(
        lead(), location_id="loc", fields=FIELDS, base_tags=BASE, source="leadpipe"
    )
    body = mapped.body
    assert body["locationId"] == "loc"
    assert (body["firstName"], body["lastName"], body["name"]) == (
        "Maria",
        "O'Brien",
        "Maria O'Brien",
    )
    assert body["email"] == "maria.obrien@brightwater.example"
    assert body["companyName"] == "Brightwater Analytics Ltd"
    assert body["website"] == "https://brightwater.example"
    assert body["address1"] == "12 High Street, Headingley"
    assert (body["city"], body["state"], body["postalCode"], body["country"]) == (
        "Leeds",
        "West Yorkshire",
        "LS1 4AB",
        "GB",
    )
    assert body["customFields"] == [
        {"id": "f-number", "field_value": "09000001"},
        {"id": "f-role", "field_value": "director"},
        {"id": "f-date", "field_value": "2026-11-03"},
        {"id": "f-score", "field_value": 71.46},
    ]
    assert "tags" not in body  # tags on upsert would replace a salesperson's tags
    assert mapped.tags == ("strike-off", "leadpipe", "strike-off-compulsory")


def test_the_upsert_body_uses_only_properties_of_the_reference_request() -> None:
    documented = set(json.loads(FIXTURE.read_text())) | {"state"}
    body = map_contact(lead(), location_id="loc", fields=FIELDS, base_tags=BASE, source="s").body
    assert set(body) <= documented
    assert all(set(item) == {"id", "field_value"} for item in body["customFields"])


def test_missing_facts_are_left_out_rather_than_sent_empty() -> None:
    event = lead(
        domain=None,
        address=None,
        strike_off_kind="unknown",
        lead_score=None,
        strike_off_entered_on=None,
    )
    mapped = map_contact(event, location_id="loc", fields=FIELDS, base_tags=BASE, source="s")
    assert not {"website", "address1", "city", "postalCode", "country"} & set(mapped.body)
    assert [item["id"] for item in mapped.body["customFields"]] == ["f-number", "f-role"]
    assert mapped.tags == ("strike-off", "leadpipe")


def test_a_foreign_country_name_is_not_guessed() -> None:
    event = lead(address=Address(address_line_1="1 Rue", country="France"))
    body = map_contact(event, location_id="loc", fields=FIELDS, base_tags=BASE, source="s").body
    assert "country" not in body


@given(st.permutations(["a", "b", "c", "d"]))
def test_the_payload_hash_ignores_key_and_tag_order(order: list[str]) -> None:
    body = {key: key.upper() for key in order}
    assert payload_hash(body, order) == payload_hash(
        dict(sorted(body.items())), ["d", "c", "b", "a"]
    )


def test_the_payload_hash_changes_when_anything_sent_changes() -> None:
    base = map_contact(lead(), location_id="loc", fields=FIELDS, base_tags=BASE, source="s")
    moved = map_contact(
        lead(lead_score=12.0), location_id="loc", fields=FIELDS, base_tags=BASE, source="s"
    )
    assert payload_hash(base.body, base.tags) != payload_hash(moved.body, moved.tags)
    assert payload_hash(base.body, base.tags) != payload_hash(base.body, (*base.tags, "x"))


def test_tag_changes_touch_only_managed_tags() -> None:
    managed = managed_tags(BASE, "strike-off-left")
    add, remove = tag_changes(
        {"strike-off", "strike-off-voluntary", "hot-lead"},
        {"strike-off", "strike-off-compulsory"},
        managed,
    )
    assert add == ("strike-off-compulsory",)
    assert remove == ("strike-off-voluntary",)


def test_a_company_that_left_gets_the_left_tag_or_loses_its_strike_off_tags_as_configured() -> None:
    tags = ("strike-off", "leadpipe", "strike-off-voluntary")
    common = {"company_left": True, "base_tags": BASE, "left_tag": "Strike-Off-Left"}
    assert desired_tags(tags, action=LeftAction.TAG, **common) == {*tags, "strike-off-left"}  # type: ignore[arg-type]
    assert desired_tags(tags, action=LeftAction.UNTAG, **common) == {"leadpipe"}  # type: ignore[arg-type]
    assert desired_tags(tags, action=LeftAction.NONE, **common) == set(tags)  # type: ignore[arg-type]


def test_an_exit_before_a_later_re_entry_does_not_apply() -> None:
    left = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    assert company_has_left(left, dt.date(2026, 9, 1))
    assert not company_has_left(left, dt.date(2026, 10, 20))
    assert company_has_left(left, None)
    assert not company_has_left(None, dt.date(2026, 9, 1))


def test_an_erasure_by_any_identifier_matches_the_leads_person_keys() -> None:
    keys = contact_person_keys(lead())
    for identifiers in (
        {"email": " MARIA.OBRIEN@brightwater.example"},
        {"officer_id": "o1"},
        {"name": "maria  o'brien", "company_number": "09000001"},
        {"name": "Maria O'Brien"},
    ):
        request = PrivacyErasureRequested(
            event_id="x",
            occurred_at=utcnow(),
            request_id="r",
            requested_by="dpo",
            **identifiers,  # type: ignore[arg-type]
        )
        assert erasure_keys(request) & keys, identifiers


def test_a_company_number_alone_identifies_nobody() -> None:
    request = PrivacyErasureRequested(
        event_id="x",
        occurred_at=utcnow(),
        request_id="r",
        requested_by="dpo",
        company_number="09000001",
    )
    assert erasure_keys(request) == frozenset()


def test_person_keys_hold_no_readable_personal_data() -> None:
    keys = contact_person_keys(lead())
    assert all("@" not in key and "maria" not in key.lower() for key in keys)


def test_an_older_publication_of_a_lead_is_superseded_by_the_newest_applied() -> None:
    at = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    earlier = at - dt.timedelta(microseconds=1)
    assert not superseded(at, "e1", None, None), "nothing applied yet"
    assert not superseded(at, "e1", at, "e1"), "the same publication again"
    assert not superseded(at, "e2", earlier, "e9"), "a newer publication"
    assert superseded(earlier, "e9", at, "e1")
    assert superseded(at, "e1", at, "e2"), "same time: the event id decides"
