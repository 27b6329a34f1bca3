"""Decoding Companies House stream lines into narrow views (reference B.5).

Only the members stream-ingest uses are declared; unknown members are ignored, as Companies
House's guidelines require. The views are not tracked by Python's cycle collector (``gc=False``:
they hold only strings, numbers, dates, string lists and each other, so they cannot form cycles):
a catch-up decodes thousands a second, and tracking them made the collector a large share of the
decoding cost. ``data`` is optional: ``deleted`` events may come without it.
``published_at`` arrives in several formats and is parsed leniently.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Final

import msgspec

from leadpipe_contracts import Address


class AccountingDates(msgspec.Struct, frozen=True, gc=False):
    """``accounts.next_accounts`` and ``accounts.last_accounts``."""

    due_on: dt.date | None = None
    overdue: bool | None = None
    type: str | None = None


class AccountsView(msgspec.Struct, frozen=True, gc=False):
    """The parts of ``accounts`` the normalised profile keeps."""

    next_accounts: AccountingDates | None = None
    last_accounts: AccountingDates | None = None
    next_due: dt.date | None = None
    overdue: bool | None = None


class ConfirmationView(msgspec.Struct, frozen=True, gc=False):
    """``confirmation_statement``."""

    next_due: dt.date | None = None
    overdue: bool | None = None


class ProfileView(msgspec.Struct, frozen=True, gc=False):
    """A company profile (stream ``data`` or REST body), narrowed."""

    company_number: str
    company_name: str = ""
    company_status: str | None = None
    company_status_detail: str | None = None
    type: str | None = None
    # Decoded straight into the contract type: it has the same members and ignores others.
    registered_office_address: Address | None = None
    sic_codes: list[str] = msgspec.field(default_factory=list)
    date_of_creation: dt.date | None = None
    date_of_cessation: dt.date | None = None
    accounts: AccountsView | None = None
    confirmation_statement: ConfirmationView | None = None
    etag: str | None = None


class FilingView(msgspec.Struct, frozen=True, gc=False):
    """A filing-history item, narrowed."""

    transaction_id: str | None = None
    type: str | None = None
    category: str | None = None
    description: str | None = None
    date: str | None = None


class EventMeta(msgspec.Struct, frozen=True, gc=False):
    """The envelope's ``event`` member."""

    timepoint: int
    published_at: str | None = None
    type: str = "changed"
    fields_changed: list[str] | None = None


class CompanyEnvelope(msgspec.Struct, frozen=True, gc=False):
    """A line of the companies stream."""

    event: EventMeta
    resource_kind: str = ""
    resource_uri: str = ""
    resource_id: str = ""
    data: ProfileView | None = None


class FilingEnvelope(msgspec.Struct, frozen=True, gc=False):
    """A line of the filings stream."""

    event: EventMeta
    resource_kind: str = ""
    resource_uri: str = ""
    resource_id: str = ""
    data: FilingView | None = None


class OtherEnvelope(msgspec.Struct, frozen=True, gc=False):
    """A line of any other stream: only its position matters here."""

    event: EventMeta
    resource_kind: str = ""
    resource_uri: str = ""
    resource_id: str = ""


Envelope = CompanyEnvelope | FilingEnvelope | OtherEnvelope

DECODERS: Final[dict[str, msgspec.json.Decoder[Envelope]]] = {
    "companies": msgspec.json.Decoder(CompanyEnvelope),
    "filings": msgspec.json.Decoder(FilingEnvelope),
    "officers": msgspec.json.Decoder(OtherEnvelope),
}
PROFILE_DECODER: Final = msgspec.json.Decoder(ProfileView)

_FRACTION = re.compile(r"\.(\d+)")


@functools.lru_cache(maxsize=4_096)
def parse_published_at(text: str | None) -> dt.datetime | None:
    """Parse ``published_at`` leniently; None when it cannot be read.

    Seen formats: ``2021-01-22T18:28:02`` (no zone, taken as UTC), ``…18:59:02.333257Z`` and
    ``…00:02:01.812779+01:00``. Fractions of any length are accepted; a space may replace ``T``.
    Cached: the events of one second share the text, and a catch-up reads thousands a second.
    """
    if not text:
        return None
    moment: dt.datetime | None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = _lenient(text)
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _lenient(text: str) -> dt.datetime | None:
    value = text.strip().replace(" ", "T", 1)
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    match = _FRACTION.search(value)
    if match is not None:
        digits = (match.group(1) + "000000")[:6]
        value = value[: match.start()] + "." + digits + value[match.end() :]
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def company_number_from_uri(uri: str) -> str | None:
    """The company number in ``/company/{number}/…``."""
    parts = uri.split("/")
    if len(parts) >= 3 and parts[1] == "company" and parts[2]:
        return parts[2].upper()
    return None
