"""Officers of strike-off companies (published by officer-fetcher).

Subjects: ``officers.listed``, ``officers.purged``.
"""

from __future__ import annotations

import datetime as dt
import enum

import msgspec

from leadpipe_contracts._base import Address, Event


class OfficerKind(enum.StrEnum):
    """A natural person or a corporate body."""

    INDIVIDUAL = "individual"
    CORPORATE = "corporate"


class Officer(msgspec.Struct, frozen=True, kw_only=True):
    """One appointment of one officer at one company.

    Attributes:
        officer_id: From ``links.officer.appointments`` (``/officers/{id}/appointments``): the
            person across companies. None when Companies House gives no link.
        appointment_id: From ``links.self`` (``/company/{n}/appointments/{id}``).
        name: The name exactly as listed (``SURNAME, Forenames, Title`` or a corporate name).
        birth_month / birth_year: Companies House never publishes the day.
    """

    officer_id: str | None
    appointment_id: str | None
    name: str
    kind: OfficerKind
    role: str
    surname: str | None = None
    forenames: str | None = None
    title: str | None = None
    appointed_on: dt.date | None = None
    resigned_on: dt.date | None = None
    birth_month: int | None = None
    birth_year: int | None = None
    nationality: str | None = None
    occupation: str | None = None
    country_of_residence: str | None = None
    address: Address | None = None


class OfficersListed(Event, frozen=True, kw_only=True, tag="officers.listed.v1"):
    """The current officer list of a strike-off company.

    Attributes:
        officers: Active (not resigned) officers only.
        has_active_individual_director: Whether enrichment has anyone to look for.
        etag: The officer list's etag, to skip unchanged lists.
    """

    company_number: str
    company_name: str | None
    officers: tuple[Officer, ...]
    has_active_individual_director: bool
    total_results: int
    etag: str | None = None
    fetched_at: dt.datetime


class OfficersPurged(Event, frozen=True, kw_only=True, tag="officers.purged.v1"):
    """Personal data of these companies' officers was deleted under the retention policy."""

    company_numbers: tuple[str, ...]
    officer_ids: tuple[str, ...]
    reason: str = "retention"


OfficerEvent = OfficersListed | OfficersPurged
