"""Companies and their strike-off transitions (published by stream-ingest).

Subjects: ``companies.observed``, ``companies.strikeoff.entered``, ``companies.strikeoff.left``,
``companies.strikeoff.kind``, ``companies.recheck`` (see ``leadpipe_bus.topology``).
"""

from __future__ import annotations

import datetime as dt
import enum

import msgspec

from leadpipe_contracts._base import Address, Event


class Source(enum.StrEnum):
    """Where an observation came from."""

    STREAM = "stream"
    BULK = "bulk"
    REST = "rest"


class StrikeOffKind(enum.StrEnum):
    """Who started the strike-off: the directors (DS01) or the registrar."""

    VOLUNTARY = "voluntary"
    COMPULSORY = "compulsory"
    UNKNOWN = "unknown"


class LeftReason(enum.StrEnum):
    """Why a company is no longer in proposal to strike off."""

    DISCONTINUED = "discontinued"
    SUSPENDED = "suspended"
    DISSOLVED = "dissolved"
    STATUS_CHANGED = "status_changed"
    ABSENT_FROM_SNAPSHOT = "absent_from_snapshot"


class CompanyProfile(msgspec.Struct, frozen=True, kw_only=True):
    """The normalised company facts downstream services use.

    Attributes:
        status: The API ``company_status`` code (``active``, ``dissolved`` …); bulk rows are mapped.
        status_detail: ``company_status_detail`` (``active-proposal-to-strike-off``) or None.
        raw_status: The status exactly as the source wrote it (e.g. the bulk CSV text).
        sic_codes: Five-digit codes only, descriptions dropped.
        accounts_category: Last accounts type (``dormant``, ``micro-entity`` …) when known.
    """

    company_number: str
    company_name: str
    status: str
    status_detail: str | None = None
    raw_status: str | None = None
    company_type: str | None = None
    registered_office_address: Address | None = None
    sic_codes: tuple[str, ...] = ()
    date_of_creation: dt.date | None = None
    date_of_cessation: dt.date | None = None
    accounts_next_due: dt.date | None = None
    accounts_overdue: bool | None = None
    accounts_category: str | None = None
    confirmation_statement_next_due: dt.date | None = None
    confirmation_statement_overdue: bool | None = None
    etag: str | None = None


class CompanyObserved(Event, frozen=True, kw_only=True, tag="company.observed.v1"):
    """A company's facts as seen at ``observed_at`` from one source.

    Attributes:
        source_ref: The source's own position: ``companies:<timepoint>`` for the stream, the
            snapshot name for bulk files, the gateway request id for REST.
    """

    profile: CompanyProfile
    source: Source
    source_ref: str
    observed_at: dt.datetime


class StrikeOffEntered(Event, frozen=True, kw_only=True, tag="company.strikeoff.entered.v1"):
    """A company entered proposal to strike off (a real transition, not a re-observation).

    Attributes:
        signal: What revealed it: ``profile`` (status detail), ``filing`` (First Gazette notice),
            ``bulk`` (snapshot row) or ``rest`` (profile fetched through the gateway).
        entered_on: The Gazette/filing date when known, else the observation date.
        etag: The company profile's etag at the observation when the source has one (stream,
            REST); None for bulk rows. officer-fetcher skips a fresh officer list only while
            this is unchanged.
    """

    company_number: str
    company_name: str
    source: Source
    signal: str
    kind: StrikeOffKind = StrikeOffKind.UNKNOWN
    entered_on: dt.date | None = None
    observed_at: dt.datetime
    etag: str | None = None


class StrikeOffLeft(Event, frozen=True, kw_only=True, tag="company.strikeoff.left.v1"):
    """A company left proposal to strike off (discontinued, suspended, dissolved, …)."""

    company_number: str
    source: Source
    reason: LeftReason
    observed_at: dt.datetime


class StrikeOffKindIdentified(Event, frozen=True, kw_only=True, tag="company.strikeoff.kind.v1"):
    """The kind of a strike-off already announced as ``unknown`` became known.

    A filing (DS01, First Gazette notice) read after the company entered strike-off can reveal
    who started it; ``StrikeOffEntered`` cannot be re-sent, so this tells consumers the kind of
    the strike-off in progress.

    Attributes:
        signal: What revealed it: the filing's signal (``application``, ``proposal``).
        source_ref: The source's own position (``filings:<timepoint>`` for the stream).
        observed_at: When the revealing filing was published.
    """

    company_number: str
    kind: StrikeOffKind
    signal: str
    source: Source
    source_ref: str
    observed_at: dt.datetime


class CompanyRecheckRequested(Event, frozen=True, kw_only=True, tag="company.recheck.v1"):
    """A company's profile should be re-read through the gateway (e.g. after a stream gap).

    Attributes:
        reason: Why (``stream_gap``, ``filing_signal``, ``manual``).
        priority: Gateway priority to use.
    """

    company_number: str
    reason: str
    priority: str = "low"


CompanyEvent = (
    CompanyObserved
    | StrikeOffEntered
    | StrikeOffLeft
    | StrikeOffKindIdentified
    | CompanyRecheckRequested
)
