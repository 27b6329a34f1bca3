"""401, 403, 400 (Version), 422 (validation, unknown property, forced), 404 bodies."""

from __future__ import annotations

from typing import Any

from leadpipe_simulators.ghl import GhlSimulator

LOCATION_A = "Qw3rTy8uIoP1aS2dF4gH"
LOCATION_B = "LocationB0000000000"


async def test_missing_or_unknown_token_is_401(ghl: GhlSimulator, call: Any) -> None:
    for token in (None, "pit-unknown"):
        reply = await call(
            ghl, "POST", "/contacts/upsert", json={"locationId": LOCATION_A}, token=token
        )
        assert reply.status == 401
        assert reply.body == {
            "statusCode": 401,
            "message": "Invalid token: access token is invalid",
            "error": "Unauthorized",
            "traceId": reply.body["traceId"],
        }
        assert "X-RateLimit-Remaining" not in reply.headers


async def test_token_on_another_location_is_403(ghl: GhlSimulator, call: Any) -> None:
    reply = await call(
        ghl, "POST", "/contacts/upsert", json={"locationId": LOCATION_B, "email": "x@example.co.uk"}
    )
    assert reply.status == 403
    assert reply.body["message"] == "The token does not have access to this location."
    assert reply.body["statusCode"] == 403
    other = await call(
        ghl,
        "POST",
        "/contacts/upsert",
        json={"locationId": LOCATION_B, "email": "x@example.co.uk"},
        token="pit-token-b",
    )
    assert other.status == 200
    contact_id = other.body["contact"]["id"]
    assert (await call(ghl, "GET", f"/contacts/{contact_id}")).status == 403
    assert (await call(ghl, "GET", f"/locations/{LOCATION_B}/customFields")).status == 403
    assert ghl.contacts(LOCATION_A) == []


async def test_version_header_is_required(ghl: GhlSimulator, call: Any) -> None:
    missing = await call(ghl, "GET", "/contacts/abc", version=None)
    assert missing.status == 400
    assert missing.body["message"] == "Version header was not found"
    assert missing.body["statusCode"] == 400
    assert "X-RateLimit-Remaining" in missing.headers
    wrong = await call(ghl, "GET", "/contacts/abc", version="2020-01-01")
    assert wrong.status == 400


async def test_unknown_property_is_422(ghl: GhlSimulator, call: Any) -> None:
    reply = await call(
        ghl,
        "POST",
        "/contacts/upsert",
        json={
            "locationId": LOCATION_A,
            "email": "a@example.co.uk",
            "additionalEmails": ["b@x.com"],
        },
    )
    assert reply.status == 422
    assert reply.body["statusCode"] == 422
    assert reply.body["error"] == "Unprocessable Entity"
    assert reply.body["message"] == ["property additionalEmails should not exist"]
    assert ghl.contacts() == []


async def test_other_validation_failures_are_422_with_one_message_each(
    ghl: GhlSimulator, call: Any
) -> None:
    reply = await call(
        ghl,
        "POST",
        "/contacts/upsert",
        json={
            "email": "not-an-email",
            "firstName": 5,
            "tags": "one",
            "customFields": [{"field_value": "x", "colour": "red"}],
        },
    )
    assert reply.status == 422
    assert sorted(reply.body["message"]) == sorted(
        [
            "locationId must be a string",
            "locationId should not be empty",
            "firstName must be a string",
            "email must be an email",
            "tags must be an array",
            "customFields.0.property colour should not exist",
            "customFields.0.id should not be empty",
        ]
    )
    assert ghl.stats()["rejected_422"] == 1


async def test_forced_422_for_one_email_does_not_block_others(ghl: GhlSimulator, call: Any) -> None:
    ghl.reject_email("bad@example.co.uk")
    results = []
    for email in ("good1@example.co.uk", "Bad@Example.co.uk", "good2@example.co.uk"):
        reply = await call(
            ghl, "POST", "/contacts/upsert", json={"locationId": LOCATION_A, "email": email}
        )
        results.append((reply.status, reply.body.get("message")))
    assert results == [(200, None), (422, ["email must be an email"]), (200, None)]
    assert ghl.count_by_email("good1@example.co.uk") == 1
    assert ghl.count_by_email("good2@example.co.uk") == 1
    assert ghl.count_by_email("bad@example.co.uk") == 0
    assert ghl.stats()["forced_422"] == 1


async def test_unknown_routes_and_contacts_are_404(ghl: GhlSimulator, call: Any) -> None:
    route = await call(ghl, "GET", "/contacts/search/nothing/here")
    assert route.status == 404
    assert route.body["message"] == "Cannot GET /contacts/search/nothing/here"
    contact = await call(ghl, "GET", "/contacts/NoSuchContact0000000")
    assert contact.status == 404
    assert contact.body["message"] == "Contact not found"


async def test_invalid_json_is_400(ghl: GhlSimulator, http: Any) -> None:
    async with http.post(
        ghl.url + "/contacts/upsert",
        data=b"{not json",
        headers={
            "Authorization": "Bearer pit-token-a",
            "Version": "2021-07-28",
            "Content-Type": "application/json",
        },
    ) as response:
        assert response.status == 400
        assert (await response.json())["statusCode"] == 400


async def test_every_response_carries_a_distinct_trace_id(ghl: GhlSimulator, call: Any) -> None:
    replies = [
        await call(
            ghl,
            "POST",
            "/contacts/upsert",
            json={"locationId": LOCATION_A, "email": "t@example.co.uk"},
        ),
        await call(ghl, "GET", "/contacts/x", token=None),
        await call(ghl, "GET", "/nowhere"),
        await call(ghl, "GET", f"/locations/{LOCATION_A}/customFields"),
    ]
    trace_ids = [r.body["traceId"] for r in replies]
    assert len(set(trace_ids)) == 4
