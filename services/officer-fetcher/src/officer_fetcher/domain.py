"""Pure logic of officer-fetcher: reading officer lists, names, priorities, freshness, scores.

Officer lists come from Companies House through the gateway. Companies House adds members
without notice and some records are old or odd (no birth date for secretaries, corporate bodies
recorded as plain ``director``, missing names or dates), so items are read field by field: a
field of the wrong shape is dropped, never the whole item, and an item is dropped only when it is
not a JSON object at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from leadpipe_contracts import Address, derive_id
from leadpipe_contracts.companies import Source, StrikeOffKind
from leadpipe_contracts.gateway import Priority
from leadpipe_contracts.officers import Officer, OfficerKind

# Roles that make someone a director for enrichment: directors, and the LLP equivalents.
DIRECTOR_ROLES = frozenset(
    {"director", "nominee-director", "llp-designated-member", "llp-member", "managing-officer"}
)
# Name endings of corporate bodies, for those Companies House records as a plain director.
_CORPORATE_NAME = re.compile(
    r"\b(LIMITED|LTD\.?|PLC|LLP|LP|L\.?L\.?C\.?|INC\.?|CORPORATION|CORP\.?|GMBH|S\.?A\.?|B\.?V\.?|"
    r"COMPANY|SERVICES|NOMINEES|SECRETARIES|SECRETARIAL|HOLDINGS|TRUSTEES|PARTNERSHIP|CYFYNGEDIG|CYF)$",
    re.IGNORECASE,
)
_OFFICER_LINK = re.compile(r"/officers/([^/?#]+)/appointments")
_APPOINTMENT_LINK = re.compile(r"/appointments/([^/?#]+)/?$")
_ADDRESS_FIELDS = tuple(field.name for field in msgspec.structs.fields(Address))
_IDENTIFICATION_FIELDS = (
    "identification_type",
    "legal_authority",
    "legal_form",
    "place_registered",
    "registration_number",
    "register_location",
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


class MalformedOfficerList(ValueError):
    """The officer list document is not a JSON object with a list of items."""


@dataclasses.dataclass(frozen=True)
class ParsedOfficer:
    """One officer item, read as far as it goes."""

    appointment_key: str
    officer_id: str | None
    appointment_id: str | None
    name: str
    kind: OfficerKind
    role: str | None
    surname: str | None
    forenames: str | None
    title: str | None
    appointed_on: dt.date | None
    appointed_before: dt.date | None
    resigned_on: dt.date | None
    birth_month: int | None
    birth_year: int | None
    nationality: str | None
    occupation: str | None
    country_of_residence: str | None
    address: Address | None
    identification: dict[str, str] | None

    @property
    def active(self) -> bool:
        """Not resigned."""
        return self.resigned_on is None

    @property
    def is_individual_director(self) -> bool:
        """A natural person in a director role."""
        return self.kind is OfficerKind.INDIVIDUAL and (self.role or "") in DIRECTOR_ROLES

    def to_contract(self) -> Officer:
        """The officer as published in ``OfficersListed``."""
        return Officer(
            officer_id=self.officer_id,
            appointment_id=self.appointment_id,
            name=self.name,
            kind=self.kind,
            role=self.role or "unknown",
            surname=self.surname,
            forenames=self.forenames,
            title=self.title,
            appointed_on=self.appointed_on,
            resigned_on=self.resigned_on,
            birth_month=self.birth_month,
            birth_year=self.birth_year,
            nationality=self.nationality,
            occupation=self.occupation,
            country_of_residence=self.country_of_residence,
            address=self.address,
        )


@dataclasses.dataclass(frozen=True)
class OfficerList:
    """An officer list document: every item of every page, and what could not be read.

    Attributes:
        skipped: Items that were not JSON objects.
    """

    etag: str | None
    total_results: int
    officers: tuple[ParsedOfficer, ...]
    skipped: int = 0

    @property
    def active(self) -> tuple[ParsedOfficer, ...]:
        """Officers not resigned."""
        return tuple(officer for officer in self.officers if officer.active)


def _text(value: object) -> str | None:
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    return None


def _integer(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_date(value: object) -> dt.date | None:
    """An ISO date (``YYYY-MM-DD``, optionally with a time part), or None."""
    text = _text(value)
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def parse_birth(value: object) -> tuple[int | None, int | None]:
    """(month, year) of ``date_of_birth``; each None when absent or implausible."""
    if not isinstance(value, Mapping):
        return None, None
    month = _integer(value.get("month"))
    year = _integer(value.get("year"))
    return (
        month if month is not None and 1 <= month <= 12 else None,
        year if year is not None and 1850 <= year <= 2100 else None,
    )


def parse_address(value: object) -> Address | None:
    """The known address parts that are strings; None when there are none."""
    if not isinstance(value, Mapping):
        return None
    parts = {name: text for name in _ADDRESS_FIELDS if (text := _text(value.get(name)))}
    return Address(**parts) if parts else None


def _identification(value: object) -> dict[str, str] | None:
    if not isinstance(value, Mapping):
        return None
    parts = {name: text for name in _IDENTIFICATION_FIELDS if (text := _text(value.get(name)))}
    return parts or None


def _link(links: object, *path: str) -> str | None:
    current: object = links
    for key in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return _text(current)


def officer_id_of(links: object) -> str | None:
    """The officer id in ``links.officer.appointments`` (``/officers/{id}/appointments``)."""
    link = _link(links, "officer", "appointments")
    match = _OFFICER_LINK.search(link or "")
    return match.group(1) if match else None


def appointment_id_of(links: object) -> str | None:
    """The appointment id in ``links.self`` (``/company/{n}/appointments/{id}``)."""
    link = _link(links, "self")
    match = _APPOINTMENT_LINK.search(link or "")
    return match.group(1) if match else None


def is_corporate(role: str | None, name: str, has_identification: bool) -> bool:
    """Whether an officer is a corporate body.

    ``corporate-*`` roles are; so is an item with ``identification`` (only corporate officers
    carry one), and a name without the ``SURNAME, Forenames`` comma that ends like a company
    name (corporate bodies recorded as plain ``director``).
    """
    if role is not None and role.startswith("corporate-"):
        return True
    if has_identification:
        return True
    return "," not in name and bool(_CORPORATE_NAME.search(name.strip()))


def parse_name(name: str, kind: OfficerKind) -> tuple[str | None, str | None, str | None]:
    """(surname, forenames, title) of an officer name.

    Individuals are listed as ``SURNAME, Forenames`` with ``, Title`` appended unless the title
    is Mr/Mrs/Miss/Ms/Master. Corporate names are kept whole (all three None). A name without a
    comma is taken as a surname only.
    """
    if kind is OfficerKind.CORPORATE:
        return None, None, None
    parts = [part.strip() for part in name.split(",")]
    surname = parts[0] or None
    forenames = parts[1] or None if len(parts) > 1 else None
    title = ", ".join(part for part in parts[2:] if part) or None
    return surname, forenames, title


def parse_officer(item: Mapping[str, Any], position: int) -> ParsedOfficer:
    """Read one officer item as far as it goes."""
    name = _text(item.get("name")) or ""
    role = _text(item.get("officer_role"))
    identification = _identification(item.get("identification"))
    kind = (
        OfficerKind.CORPORATE
        if is_corporate(role, name, identification is not None)
        else OfficerKind.INDIVIDUAL
    )
    surname, forenames, title = parse_name(name, kind)
    links = item.get("links")
    officer_id = officer_id_of(links)
    appointment_id = appointment_id_of(links)
    appointed_on = parse_date(item.get("appointed_on"))
    birth_month, birth_year = parse_birth(item.get("date_of_birth"))
    key = appointment_id or derive_id("appointment", officer_id, name, role, appointed_on, position)
    return ParsedOfficer(
        appointment_key=key,
        officer_id=officer_id,
        appointment_id=appointment_id,
        name=name,
        kind=kind,
        role=role,
        surname=surname,
        forenames=forenames,
        title=title,
        appointed_on=appointed_on,
        appointed_before=parse_date(item.get("appointed_before")),
        resigned_on=parse_date(item.get("resigned_on")),
        birth_month=birth_month,
        birth_year=birth_year,
        nationality=_text(item.get("nationality")),
        occupation=_text(item.get("occupation")),
        country_of_residence=_text(item.get("country_of_residence")),
        address=parse_address(item.get("address")),
        identification=identification,
    )


def parse_officer_list(body: bytes) -> OfficerList:
    """Read an officer list document (the gateway joins every page's items into one).

    Raises:
        MalformedOfficerList: Not JSON, not an object, or ``items`` is not a list.
    """
    try:
        document = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise MalformedOfficerList(f"officer list is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise MalformedOfficerList("officer list is not a JSON object")
    items = document.get("items", [])
    if not isinstance(items, list):
        raise MalformedOfficerList("officer list 'items' is not a list")
    officers: list[ParsedOfficer] = []
    seen: set[str] = set()
    skipped = 0
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            skipped += 1
            continue
        officer = parse_officer(item, position)
        if officer.appointment_key in seen:
            # The same appointment on two pages (the list shifted while it was paged): keep one.
            continue
        seen.add(officer.appointment_key)
        officers.append(officer)
    total = _integer(document.get("total_results"))
    return OfficerList(
        etag=_text(document.get("etag")),
        total_results=total if total is not None else len(items),
        officers=tuple(officers),
        skipped=skipped,
    )


def has_active_individual_director(officers: Iterable[ParsedOfficer]) -> bool:
    """Whether at least one active natural person holds a director role."""
    return any(officer.active and officer.is_individual_director for officer in officers)


def priority_for(source: Source) -> Priority:
    """Gateway priority of a fetch caused by a StrikeOffEntered from ``source``.

    The live stream is high; a REST re-check (profile read through the gateway) normal; the
    monthly snapshot low.
    """
    if source is Source.STREAM:
        return Priority.HIGH
    if source is Source.REST:
        return Priority.NORMAL
    return Priority.LOW


def is_fresh(
    *,
    fetched_at: dt.datetime | None,
    fetched_profile_etag: str | None,
    event_etag: str | None,
    now: dt.datetime,
    freshness: dt.timedelta,
) -> bool:
    """Whether a stored officer list may stand in for a new fetch.

    Fresh means fetched within ``freshness`` and the company's etag unchanged: an event that
    carries an etag different from the one known when the list was fetched means the company
    changed, so the list is fetched again. An event without an etag (bulk rows) changes nothing.
    """
    if fetched_at is None or now - fetched_at >= freshness:
        return False
    return event_etag is None or event_etag == fetched_profile_etag


def lead_score(kind: StrikeOffKind, source: Source) -> int:
    """A small score for ``backfill officers --order score``: likelier leads first.

    Voluntary strike-off (the directors applied, DS01) scores 2: the directors are active and
    deciding. Compulsory (the registrar, usually for unfiled accounts) scores 1; unknown 0. A
    company seen on the live stream gets 1 more: the entry is recent.
    """
    score = {StrikeOffKind.VOLUNTARY: 2, StrikeOffKind.COMPULSORY: 1}.get(kind, 0)
    return score + (1 if source is Source.STREAM else 0)


def calls_for(total_results: int, per_page: int = 100) -> int:
    """Upstream calls an officer list of ``total_results`` costs (at least one)."""
    return max(1, math.ceil(total_results / per_page))


def eta_seconds(remaining: int, rate_per_second: float | None) -> float | None:
    """Seconds to finish ``remaining`` items at ``rate_per_second`` (None when unknown)."""
    if remaining <= 0:
        return 0.0
    if not rate_per_second or rate_per_second <= 0:
        return None
    return remaining / rate_per_second


def name_tokens(name: str) -> frozenset[str]:
    """The case-folded words of a name, order and punctuation ignored."""
    return frozenset(word.casefold() for word in _WORD.findall(name))


def name_matches(requested: str, listed: str) -> bool:
    """Whether a name given in an erasure request designates a listed officer name.

    Every word of the request must appear in the listed name (``Adaeze Okafor`` designates
    ``OKAFOR, Adaeze Chinwe``); an empty request designates nobody.
    """
    wanted = name_tokens(requested)
    return bool(wanted) and wanted <= name_tokens(listed)


def fingerprint(text: str) -> str:
    """A one-way hash kept for suppression instead of the personal data itself."""
    return hashlib.sha256(text.encode()).hexdigest()


def name_fingerprint(name: str) -> str:
    """The fingerprint of a name's words, independent of order, case and punctuation."""
    return fingerprint(" ".join(sorted(name_tokens(name))))
