"""The read model is built from events only and answers the companies and leads endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from query_api.auth import Role

pytestmark = pytest.mark.integration


def _key(keys: dict[Role, str]) -> dict[str, str]:
    return {"X-API-Key": keys[Role.VIEWER]}


async def test_events_become_companies_with_officers_domains_and_leads(
    http: httpx.AsyncClient,
    keys: dict[Role, str],
    publish: Callable[[Any], Any],
    settle: Callable[[], Any],
    events: Any,
) -> None:
    await publish(events.observed("01234567", "ACME WIDGETS LTD", postcode="M1 1AE"))
    await publish(events.entered("01234567", "ACME WIDGETS LTD"))
    await publish(events.officers("01234567", [("off1", "SMITH, John Peter")]))
    await publish(events.domain("01234567", "ACME WIDGETS LTD", "acme.example"))
    await publish(
        events.contact("01234567", "ACME WIDGETS LTD", "off1", "John", "Smith", "j@acme.example")
    )
    await settle()

    detail = (await http.get("/api/v1/companies/01234567", headers=_key(keys))).json()
    assert detail["company_name"] == "ACME WIDGETS LTD"
    assert detail["strike_off"] is True
    assert detail["region"] == "North West"
    assert detail["officer_count"] == 1
    assert detail["domain"] == "acme.example"
    assert detail["contact_count"] == 1
    assert detail["contacts"][0]["email"] == "j@acme.example"
    officers = (await http.get("/api/v1/companies/01234567/officers", headers=_key(keys))).json()
    assert [officer["officer_id"] for officer in officers["items"]] == ["off1"]
    leads = (await http.get("/api/v1/leads", headers=_key(keys))).json()
    assert [lead["email"] for lead in leads["items"]] == ["j@acme.example"]
