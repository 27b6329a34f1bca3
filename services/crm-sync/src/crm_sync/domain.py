"""Pure logic of crm-sync: what a lead looks like in GoHighLevel, and what must change.

- ``map_contact``: a ``ContactFound`` → the ``POST /contacts/upsert`` body (without tags: tags sent
  on upsert replace every tag a salesperson added, so they go through the tag endpoints) and the
  tags the lead should carry.
- ``payload_hash``: a stable hash of what is sent; an unchanged contact is never sent again.
- ``desired_tags`` / ``tag_changes``: incremental tag edits, only of the tags crm-sync manages.
- ``superseded``: whether a lead's publication is older than one already applied.
- ``person_keys``: one-way keys identifying a person, shared by suppression and erasure, so that
  the suppression list holds no readable personal data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from crm_sync.settings import LeftAction
from leadpipe_contracts import Address
from leadpipe_contracts.enrichment import ContactFound
from leadpipe_contracts.privacy import PrivacyErasureRequested

# Companies House writes the country of a UK address in words; GoHighLevel wants ISO 3166-1.
_UK_COUNTRIES = frozenset(
    {
        "united kingdom",
        "uk",
        "great britain",
        "england",
        "wales",
        "scotland",
        "northern ireland",
        "england and wales",
        "cymru",
    }
)


@dataclasses.dataclass(frozen=True)
class FieldIds:
    """GoHighLevel custom field ids of the values crm-sync writes (resolved once at start)."""

    company_number: str
    strike_off_date: str
    officer_role: str
    lead_score: str


@dataclasses.dataclass(frozen=True)
class MappedContact:
    """A lead as GoHighLevel should hold it.

    Attributes:
        body: The upsert body, ``locationId`` included, ``tags`` excluded.
        tags: Tags derived from the lead itself (before any strike-off-left adjustment).
    """

    body: dict[str, Any]
    tags: tuple[str, ...]


def normalise_tag(tag: str) -> str:
    """Trimmed and lower case: GoHighLevel stores tags in lower case."""
    return tag.strip().lower()


def kind_tag(kind: str | None) -> str | None:
    """``strike-off-voluntary`` / ``strike-off-compulsory``, or None when the kind is not known."""
    if kind in ("voluntary", "compulsory"):
        return f"strike-off-{kind}"
    return None


def display_name(part: str) -> str:
    """Companies House writes surnames in capitals (``SMITH``); show them as names (``Smith``)."""
    cleaned = " ".join(part.split())
    return cleaned.title() if cleaned.isupper() else cleaned


def website(domain: str | None) -> str | None:
    """``https://<domain>`` for a bare domain; a URL is kept as it is."""
    if not domain or not domain.strip():
        return None
    value = domain.strip().lower()
    return value if value.startswith(("http://", "https://")) else f"https://{value}"


def country_code(country: str | None) -> str | None:
    """The ISO code GoHighLevel accepts, or None when it cannot be derived safely."""
    if not country:
        return None
    value = country.strip()
    if len(value) == 2 and value.isalpha():
        return value.upper()
    return "GB" if value.lower() in _UK_COUNTRIES else None


def address_fields(address: Address | None) -> dict[str, str]:
    """GoHighLevel's address line, city, state and postcode from a Companies House address."""
    if address is None:
        return {}
    first = " ".join(part for part in (address.premises, address.address_line_1) if part)
    lines = [line.strip() for line in (first, address.address_line_2 or "") if line.strip()]
    fields = {
        "address1": ", ".join(lines),
        "city": (address.locality or "").strip(),
        "state": (address.region or "").strip(),
        "postalCode": (address.postal_code or "").strip(),
        "country": country_code(address.country) or "",
    }
    return {key: value for key, value in fields.items() if value}


def map_contact(
    event: ContactFound,
    *,
    location_id: str,
    fields: FieldIds,
    base_tags: Iterable[str],
    source: str,
) -> MappedContact:
    """The GoHighLevel contact for a lead.

    Args:
        event: The lead.
        location_id: The sub-account the contact belongs to.
        fields: Custom field ids.
        base_tags: Tags every contact gets.
        source: Recorded by GoHighLevel as the contact's source.
    """
    company, officer = event.company, event.officer
    first, last = display_name(officer.first_name), display_name(officer.last_name)
    body: dict[str, Any] = {
        "locationId": location_id,
        "firstName": first,
        "lastName": last,
        "name": " ".join(part for part in (first, last) if part),
        "email": event.email.strip().lower(),
        "companyName": company.company_name.strip(),
        "source": source,
    }
    if (site := website(company.domain)) is not None:
        body["website"] = site
    body.update(address_fields(company.address))
    custom: list[dict[str, Any]] = [
        {"id": fields.company_number, "field_value": company.company_number},
        {"id": fields.officer_role, "field_value": officer.role},
    ]
    if company.strike_off_entered_on is not None:
        custom.append(
            {"id": fields.strike_off_date, "field_value": company.strike_off_entered_on.isoformat()}
        )
    if company.lead_score is not None:
        custom.append({"id": fields.lead_score, "field_value": round(company.lead_score, 2)})
    body["customFields"] = custom
    tags = [normalise_tag(tag) for tag in base_tags]
    if (extra := kind_tag(company.strike_off_kind)) is not None:
        tags.append(extra)
    return MappedContact(body=body, tags=tuple(dict.fromkeys(tag for tag in tags if tag)))


def payload_hash(body: Mapping[str, Any], tags: Iterable[str]) -> str:
    """A stable hash of the upsert body and the lead's tags (key order and tag order ignored)."""
    canonical = json.dumps(
        {"body": body, "tags": sorted(set(tags))},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def managed_tags(base_tags: Iterable[str], left_tag: str) -> frozenset[str]:
    """Every tag crm-sync may add or remove; tags anyone else adds are never touched."""
    tags = {normalise_tag(tag) for tag in base_tags}
    tags |= {"strike-off-voluntary", "strike-off-compulsory", normalise_tag(left_tag)}
    return frozenset(tag for tag in tags if tag)


def desired_tags(
    lead_tags: Iterable[str],
    *,
    company_left: bool,
    action: LeftAction,
    base_tags: Iterable[str],
    left_tag: str,
) -> frozenset[str]:
    """The tags a contact should carry, given whether its company left strike-off."""
    tags = {normalise_tag(tag) for tag in lead_tags}
    if not company_left:
        return frozenset(tags)
    if action is LeftAction.TAG:
        return frozenset(tags | {normalise_tag(left_tag)})
    if action is LeftAction.UNTAG:
        strike_off = {normalise_tag(tag) for tag in base_tags if "strike-off" in tag}
        strike_off |= {"strike-off-voluntary", "strike-off-compulsory"}
        return frozenset(tags - strike_off)
    return frozenset(tags)


def tag_changes(
    current: Iterable[str], desired: Iterable[str], managed: frozenset[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Tags to add and to remove so that ``current`` becomes ``desired`` on managed tags only.

    Returns:
        ``(add, remove)``, each sorted.
    """
    have, want = set(current), set(desired)
    add = sorted(want - have)
    remove = sorted((have - want) & managed)
    return tuple(add), tuple(remove)


def company_has_left(left_on: dt.datetime | None, entered_on: dt.date | None) -> bool:
    """Whether a recorded strike-off exit applies to a lead (a later re-entry makes it moot)."""
    if left_on is None:
        return False
    return entered_on is None or left_on.date() >= entered_on


def superseded(
    occurred_at: dt.datetime,
    event_id: str,
    applied_at: dt.datetime | None,
    applied_event: str | None,
) -> bool:
    """Whether a ``ContactFound`` is older than the lead's newest one already applied.

    snov-enricher publishes a lead again when its company's facts change, each publication
    later than the one before; publications are ordered by ``occurred_at``, then event id (the
    order query-api keeps too). An older one delivered late must not undo a newer one.
    """
    if applied_at is None:
        return False
    return (occurred_at, event_id) < (applied_at, applied_event or "")


def _key(kind: str, *parts: str) -> str:
    text = "\x1f".join((kind, *parts))
    return hashlib.sha256(text.encode()).hexdigest()


def _clean(text: str) -> str:
    return " ".join(text.lower().split())


def person_keys(
    *,
    email: str | None,
    officer_id: str | None,
    name: str | None,
    company_number: str | None,
) -> frozenset[str]:
    """One-way keys identifying a person, from whatever identifiers are known.

    A name alone identifies a person only together with a company number; without one, the
    name key is global (an erasure request naming no company suppresses the name everywhere).
    A company number alone identifies nobody.
    """
    keys: set[str] = set()
    if email and email.strip():
        keys.add(_key("email", _clean(email)))
    if officer_id and officer_id.strip():
        keys.add(_key("officer", officer_id.strip()))
    if name and name.strip():
        if company_number and company_number.strip():
            keys.add(_key("name", company_number.strip().upper(), _clean(name)))
        else:
            keys.add(_key("name-anywhere", _clean(name)))
    return frozenset(keys)


def contact_person_keys(event: ContactFound) -> frozenset[str]:
    """The keys of a lead's person, including the company-less name key, for suppression."""
    full_name = f"{event.officer.first_name} {event.officer.last_name}"
    return person_keys(
        email=event.email,
        officer_id=event.officer.officer_id,
        name=full_name,
        company_number=event.company.company_number,
    ) | person_keys(email=None, officer_id=None, name=full_name, company_number=None)


def erasure_keys(request: PrivacyErasureRequested) -> frozenset[str]:
    """The keys an erasure request suppresses and erases."""
    return person_keys(
        email=request.email,
        officer_id=request.officer_id,
        name=request.name,
        company_number=request.company_number,
    )
