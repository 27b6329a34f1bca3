"""POST /contacts/upsert: create then update, tags, custom fields, duplicate rules."""

from __future__ import annotations

from typing import Any

from leadpipe_simulators.ghl import GhlSimulator

LOCATION = "Qw3rTy8uIoP1aS2dF4gH"

# reference fixture ghl_contact_upsert_request.json, custom field ids replaced at run time
FIXTURE_REQUEST: dict[str, Any] = {
    "locationId": LOCATION,
    "firstName": "Maria",
    "lastName": "Lindqvist",
    "name": "Maria Lindqvist",
    "email": "maria.lindqvist@brightwateranalytics.com",
    "phone": "+46 8 555 012 34",
    "companyName": "Brightwater Analytics",
    "website": "https://brightwateranalytics.com",
    "address1": "Sveavagen 44",
    "city": "Stockholm",
    "postalCode": "111 34",
    "country": "SE",
    "timezone": "Europe/Stockholm",
    "tags": ["snov-enriched", "inbound-2026"],
    "source": "lead-enrichment-pipeline",
}


async def _fields(ghl: GhlSimulator, call: Any) -> tuple[str, str]:
    first = await call(
        ghl,
        "POST",
        f"/locations/{LOCATION}/customFields",
        json={"name": "Email Status", "dataType": "TEXT"},
    )
    second = await call(
        ghl,
        "POST",
        f"/locations/{LOCATION}/customFields",
        json={"name": "Snov Task", "dataType": "TEXT", "model": "contact"},
    )
    assert first.status == second.status == 201
    return first.body["customField"]["id"], second.body["customField"]["id"]


async def test_fixture_request_creates_a_contact_shaped_like_the_fixture(
    ghl: GhlSimulator, call: Any
) -> None:
    status_id, task_id = await _fields(ghl, call)
    body = {
        **FIXTURE_REQUEST,
        "customFields": [
            {"id": status_id, "field_value": "valid"},
            {"id": task_id, "field_value": "3b9e41c07d2a58f6e1c4a09b7d35e812"},
        ],
    }
    reply = await call(ghl, "POST", "/contacts/upsert", json=body)
    assert reply.status == 200, reply.body
    assert reply.body["new"] is True
    assert isinstance(reply.body["traceId"], str)
    contact = reply.body["contact"]
    assert len(contact["id"]) == 20
    expected = {
        "name": "Maria Lindqvist",
        "locationId": LOCATION,
        "firstName": "Maria",
        "lastName": "Lindqvist",
        "email": "maria.lindqvist@brightwateranalytics.com",
        "emailLowerCase": "maria.lindqvist@brightwateranalytics.com",
        "timezone": "Europe/Stockholm",
        "companyName": "Brightwater Analytics",
        "phone": "+46855501234",
        "dnd": False,
        "type": "lead",
        "source": "lead-enrichment-pipeline",
        "address1": "Sveavagen 44",
        "city": "Stockholm",
        "country": "SE",
        "postalCode": "111 34",
        "website": "https://brightwateranalytics.com",
        "tags": ["snov-enriched", "inbound-2026"],
        "firstNameLowerCase": "maria",
        "lastNameLowerCase": "lindqvist",
        "fullNameLowerCase": "maria lindqvist",
        "customFields": [
            {"id": status_id, "value": "valid"},
            {"id": task_id, "value": "3b9e41c07d2a58f6e1c4a09b7d35e812"},
        ],
    }
    assert {k: contact[k] for k in expected} == expected
    assert contact["dateAdded"] == contact["dateUpdated"]
    assert contact["dateAdded"].endswith("Z")


async def test_same_email_updates_the_same_contact(ghl: GhlSimulator, call: Any) -> None:
    created = await call(ghl, "POST", "/contacts/upsert", json=FIXTURE_REQUEST)
    ghl.clock.advance(5)
    again = {
        "locationId": LOCATION,
        "email": "MARIA.Lindqvist@brightwateranalytics.com",
        "city": "Uppsala",
    }
    updated = await call(ghl, "POST", "/contacts/upsert", json=again)
    assert updated.status == 200
    assert updated.body["new"] is False
    assert updated.body["contact"]["id"] == created.body["contact"]["id"]
    assert updated.body["contact"]["city"] == "Uppsala"
    assert updated.body["contact"]["companyName"] == "Brightwater Analytics"
    assert updated.body["contact"]["dateUpdated"] > updated.body["contact"]["dateAdded"]
    assert ghl.count_by_email("maria.lindqvist@brightwateranalytics.com") == 1
    assert ghl.stats()["created"] == 1
    assert ghl.stats()["updated"] == 1


async def test_tags_on_upsert_replace_and_tag_endpoints_change_incrementally(
    ghl: GhlSimulator, call: Any
) -> None:
    base = {"locationId": LOCATION, "email": "tags@example.co.uk"}
    first = await call(ghl, "POST", "/contacts/upsert", json={**base, "tags": ["a", "B "]})
    contact_id = first.body["contact"]["id"]
    assert first.body["contact"]["tags"] == ["a", "b"]
    second = await call(ghl, "POST", "/contacts/upsert", json={**base, "tags": ["strike-off"]})
    assert second.body["contact"]["tags"] == ["strike-off"]
    untouched = await call(ghl, "POST", "/contacts/upsert", json={**base, "city": "Leeds"})
    assert untouched.body["contact"]["tags"] == ["strike-off"]

    added = await call(ghl, "POST", f"/contacts/{contact_id}/tags", json={"tags": ["x", "y"]})
    assert added.status == 201
    assert added.body["tags"] == ["strike-off", "x", "y"]
    removed = await call(ghl, "DELETE", f"/contacts/{contact_id}/tags", json={"tags": ["x"]})
    assert removed.status == 200
    assert removed.body["tags"] == ["strike-off", "y"]
    fetched = await call(ghl, "GET", f"/contacts/{contact_id}")
    assert fetched.body["contact"]["tags"] == ["strike-off", "y"]


async def test_custom_fields_merge_by_id_and_resolve_by_key(ghl: GhlSimulator, call: Any) -> None:
    status_id, task_id = await _fields(ghl, call)
    listed = await call(
        ghl, "GET", f"/locations/{LOCATION}/customFields", params={"model": "contact"}
    )
    assert [(f["name"], f["fieldKey"], f["dataType"]) for f in listed.body["customFields"]] == [
        ("Email Status", "contact.email_status", "TEXT"),
        ("Snov Task", "contact.snov_task", "TEXT"),
    ]
    base = {"locationId": LOCATION, "email": "cf@example.co.uk"}
    await call(
        ghl,
        "POST",
        "/contacts/upsert",
        json={**base, "customFields": [{"id": status_id, "field_value": "unknown"}]},
    )
    merged = await call(
        ghl,
        "POST",
        "/contacts/upsert",
        json={
            **base,
            "customFields": [
                {"key": "contact.snov_task", "field_value": "abc"},
                {"id": status_id, "fieldValue": "valid"},
                {"id": "NoSuchField000000000", "field_value": "lost"},
            ],
        },
    )
    assert merged.body["contact"]["customFields"] == [
        {"id": status_id, "value": "valid"},
        {"id": task_id, "value": "abc"},
    ]
    assert ghl.stats()["unknown_custom_field_ids"] == 1
    duplicate = await call(
        ghl,
        "POST",
        f"/locations/{LOCATION}/customFields",
        json={"name": "email status", "dataType": "TEXT"},
    )
    assert duplicate.status == 400


async def test_phone_matches_when_email_does_not(ghl: GhlSimulator, call: Any) -> None:
    first = await call(
        ghl, "POST", "/contacts/upsert", json={"locationId": LOCATION, "phone": "+44 20 7946 0000"}
    )
    second = await call(
        ghl,
        "POST",
        "/contacts/upsert",
        json={"locationId": LOCATION, "phone": "+442079460000", "email": "new@example.co.uk"},
    )
    assert second.body["new"] is False
    assert second.body["contact"]["id"] == first.body["contact"]["id"]
    assert second.body["contact"]["email"] == "new@example.co.uk"


async def test_email_wins_and_the_conflicting_phone_is_ignored(
    ghl: GhlSimulator, call: Any
) -> None:
    by_email = await call(
        ghl, "POST", "/contacts/upsert", json={"locationId": LOCATION, "email": "e@example.co.uk"}
    )
    await call(
        ghl, "POST", "/contacts/upsert", json={"locationId": LOCATION, "phone": "+447700900123"}
    )
    both = await call(
        ghl,
        "POST",
        "/contacts/upsert",
        json={"locationId": LOCATION, "email": "e@example.co.uk", "phone": "+447700900123"},
    )
    assert both.body["contact"]["id"] == by_email.body["contact"]["id"]
    assert "phone" not in both.body["contact"]
    assert len(ghl.contacts(LOCATION)) == 2


async def test_create_new_if_duplicate_allowed_follows_the_location_setting(
    ghl: GhlSimulator, call: Any
) -> None:
    body = {
        "locationId": LOCATION,
        "email": "dup@example.co.uk",
        "createNewIfDuplicateAllowed": True,
    }
    await call(ghl, "POST", "/contacts/upsert", json=body)
    ignored = await call(ghl, "POST", "/contacts/upsert", json=body)
    assert ignored.body["new"] is False
    assert ghl.count_by_email("dup@example.co.uk") == 1

    ghl.set_location_settings(LOCATION, allow_duplicates=True)
    created = await call(ghl, "POST", "/contacts/upsert", json=body)
    assert created.body["new"] is True
    assert ghl.count_by_email("dup@example.co.uk") == 2
    plain = {"locationId": LOCATION, "email": "dup@example.co.uk"}
    assert (await call(ghl, "POST", "/contacts/upsert", json=plain)).body["new"] is False


async def test_phone_only_match_order_ignores_email(ghl: GhlSimulator, call: Any) -> None:
    ghl.set_location_settings(LOCATION, match_order=("phone",))
    await call(
        ghl, "POST", "/contacts/upsert", json={"locationId": LOCATION, "email": "p@example.co.uk"}
    )
    again = await call(
        ghl, "POST", "/contacts/upsert", json={"locationId": LOCATION, "email": "p@example.co.uk"}
    )
    assert again.body["new"] is True


async def test_delete_then_get_is_404(ghl: GhlSimulator, call: Any) -> None:
    created = await call(
        ghl,
        "POST",
        "/contacts/upsert",
        json={"locationId": LOCATION, "email": "gone@example.co.uk"},
    )
    contact_id = created.body["contact"]["id"]
    deleted = await call(ghl, "DELETE", f"/contacts/{contact_id}")
    assert deleted.status == 200
    assert deleted.body["succeded"] is True
    assert "traceId" in deleted.body
    missing = await call(ghl, "GET", f"/contacts/{contact_id}")
    assert missing.status == 404
    assert (await call(ghl, "DELETE", f"/contacts/{contact_id}")).status == 404
    assert ghl.count_by_email("gone@example.co.uk") == 0
    recreated = await call(
        ghl,
        "POST",
        "/contacts/upsert",
        json={"locationId": LOCATION, "email": "gone@example.co.uk"},
    )
    assert recreated.body["new"] is True
