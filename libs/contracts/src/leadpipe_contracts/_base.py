"""The base of every event: identity, time and causality.

Events are frozen, keyword-only msgspec Structs tagged by an explicit, versioned string in the
``type`` field (``company.observed.v1``), never by class name, so renaming a class cannot change
the wire format. See ``README.md`` beside this package for the evolution rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import msgspec


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Fields every event carries.

    Attributes:
        event_id: Unique and, where the source allows, deterministic (``companies:101741207``), so
            that re-publishing the same fact is de-duplicated by JetStream and by consumers.
        occurred_at: When the fact happened (UTC), not when it was published.
        correlation_id: Id of the originating event of the whole chain (e.g. the stream event that
            started a lead), carried unchanged by every event derived from it.
        causation_id: Id of the event that directly caused this one.
    """

    event_id: str
    occurred_at: dt.datetime
    correlation_id: str | None = None
    causation_id: str | None = None


class Address(msgspec.Struct, frozen=True, kw_only=True):
    """A postal address in Companies House's shape (all parts optional)."""

    premises: str | None = None
    address_line_1: str | None = None
    address_line_2: str | None = None
    locality: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None
    care_of: str | None = None
    po_box: str | None = None


def utcnow() -> dt.datetime:
    """The current time as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


def derive_id(*parts: object) -> str:
    """A deterministic event id from the parts that identify a fact.

    Two producers (or one producer retrying) that describe the same fact get the same id, which
    is what makes publishing idempotent. The id is short, stable and opaque.
    """
    text = "\x1f".join(str(part) for part in parts)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
