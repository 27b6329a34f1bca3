"""Contacts per location and the upsert rules of POST /contacts/upsert.

Matching follows the location's "Allow Duplicate Contact" setting (``config.LocationSettings``):
with duplicates disallowed, the primary then the secondary match field finds the contact to update;
when the e-mail matches one contact and the phone another, the first in the configured order wins
and the value identifying the *other* contact is not written (GoHighLevel ignores it silently).
With duplicates allowed, upsert matches e-mail then phone unless ``createNewIfDuplicateAllowed`` is
true, which always creates.

On update, properties present in the body overwrite (``null`` clears), absent ones are kept;
``tags`` replaces every tag; ``customFields`` merge by field id. Choices where the docs are silent:
tags are trimmed, lower-cased and de-duplicated (GoHighLevel shows tags in lower case); phones are
stored as ``+`` and digits ("+46 8 555 012 34" → "+46855501234", as in the response fixture); the
contact ``type`` is always ``lead``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from leadpipe_simulators._common.determinism import stable_token
from leadpipe_simulators.ghl.config import LocationSettings, MatchField
from leadpipe_simulators.ghl.validation import UpsertRequest

# Wire order of contact properties, as in the upsert response fixture.
_LEADING = ("firstName", "lastName")
_MIDDLE = ("timezone", "companyName", "phone")
_TRAILING = (
    "source",
    "assignedTo",
    "address1",
    "city",
    "state",
    "country",
    "postalCode",
    "website",
)


def normalise_phone(phone: str) -> str:
    """``+`` (if the number had one) and the digits."""
    digits = re.sub(r"\D", "", phone)
    return "+" + digits if phone.strip().startswith("+") else digits


def normalise_tags(tags: Iterable[str]) -> list[str]:
    """Trimmed, lower-case, without blanks or repeats, in first-seen order."""
    seen: dict[str, None] = {}
    for tag in tags:
        cleaned = tag.strip().lower()
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)


def iso_time(seconds: float) -> str:
    """``2026-10-14T09:21:37.512Z`` for a Unix time."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Contact:
    """One contact of one location."""

    id: str
    location_id: str
    fields: dict[str, Any]
    date_added: float
    date_updated: float
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)

    @property
    def email_lower(self) -> str | None:
        """The e-mail in lower case, or None."""
        email = self.fields.get("email")
        return email.lower() if isinstance(email, str) and email else None

    @property
    def phone(self) -> str | None:
        """The normalised phone, or None."""
        phone = self.fields.get("phone")
        return phone if isinstance(phone, str) and phone else None

    def full_name(self) -> str | None:
        """``name`` if set, else first and last name joined."""
        name = self.fields.get("name")
        if isinstance(name, str) and name:
            return name
        parts = [self.fields.get(k) for k in _LEADING]
        joined = " ".join(p for p in parts if isinstance(p, str) and p)
        return joined or None

    def to_wire(self) -> dict[str, Any]:
        """The ``contact`` object GoHighLevel returns (absent properties are omitted)."""
        f = self.fields
        wire: dict[str, Any] = {"id": self.id}
        if (name := self.full_name()) is not None:
            wire["name"] = name
        wire["locationId"] = self.location_id
        wire.update({k: f[k] for k in _LEADING if f.get(k) is not None})
        if f.get("email"):
            wire["email"] = f["email"]
            wire["emailLowerCase"] = self.email_lower
        wire.update({k: f[k] for k in _MIDDLE if f.get(k) is not None})
        wire["dnd"] = bool(f.get("dnd", False))
        for key in ("dndSettings", "inboundDndSettings"):
            if f.get(key) is not None:
                wire[key] = f[key]
        wire["type"] = "lead"
        wire.update({k: f[k] for k in _TRAILING if f.get(k) is not None})
        wire["tags"] = list(self.tags)
        for key in ("dateOfBirth", "gender"):
            if f.get(key) is not None:
                wire[key] = f[key]
        wire["dateAdded"] = iso_time(self.date_added)
        wire["dateUpdated"] = iso_time(self.date_updated)
        for key in _LEADING:
            if isinstance(f.get(key), str):
                wire[key + "LowerCase"] = f[key].lower()
        if name is not None:
            wire["fullNameLowerCase"] = name.lower()
        wire["customFields"] = [{"id": k, "value": v} for k, v in self.custom_fields.items()]
        return wire


class ContactStore:
    """Every location's contacts with e-mail and phone indexes for matching."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._numbers = itertools.count(1)
        self._contacts: dict[str, Contact] = {}
        self._index: dict[tuple[MatchField, str, str], list[str]] = {}

    # --- indexes -----------------------------------------------------------------------------

    def _keys(self, contact: Contact) -> list[tuple[MatchField, str, str]]:
        keys: list[tuple[MatchField, str, str]] = []
        if contact.email_lower:
            keys.append(("email", contact.location_id, contact.email_lower))
        if contact.phone:
            keys.append(("phone", contact.location_id, contact.phone))
        return keys

    def _unindex(self, contact: Contact) -> None:
        for key in self._keys(contact):
            ids = self._index.get(key, [])
            if contact.id in ids:
                ids.remove(contact.id)
            if not ids:
                self._index.pop(key, None)

    def _reindex(self, contact: Contact) -> None:
        for key in self._keys(contact):
            self._index.setdefault(key, []).append(contact.id)

    def _find(self, match_field: MatchField, location_id: str, value: str | None) -> Contact | None:
        if not value:
            return None
        ids = self._index.get((match_field, location_id, value))
        return self._contacts[ids[0]] if ids else None

    # --- upsert ------------------------------------------------------------------------------

    def upsert(
        self,
        request: UpsertRequest,
        settings: LocationSettings,
        custom_fields: list[tuple[str, Any]] | None,
        now: float,
    ) -> tuple[Contact, bool]:
        """Create or update per the location's duplicate rules; returns (contact, created)."""
        fields = dict(request.fields)
        if isinstance(fields.get("phone"), str):
            fields["phone"] = normalise_phone(fields["phone"]) or None
        email = fields.get("email")
        wanted: dict[MatchField, str | None] = {
            "email": email.lower() if isinstance(email, str) and email else None,
            "phone": fields.get("phone"),
        }
        location = request.location_id
        match: Contact | None = None
        if not (request.create_new_if_duplicate_allowed and settings.allow_duplicates):
            order: tuple[MatchField, ...] = (
                ("email", "phone") if settings.allow_duplicates else settings.match_order
            )
            match = next(
                (c for f in order if (c := self._find(f, location, wanted[f])) is not None), None
            )
        if match is None:
            contact = Contact(
                id=stable_token(self._seed, "contact", next(self._numbers)),
                location_id=location,
                fields={k: v for k, v in fields.items() if v is not None},
                date_added=now,
                date_updated=now,
            )
            self._apply_lists(contact, request.tags, custom_fields)
            self._contacts[contact.id] = contact
            self._reindex(contact)
            return contact, True
        if not settings.allow_duplicates:
            # A value that identifies a different contact is dropped rather than duplicated.
            for match_field in ("email", "phone"):
                other = self._find(match_field, location, wanted[match_field])
                if other is not None and other.id != match.id:
                    fields.pop(match_field, None)
        self._unindex(match)
        for key, value in fields.items():
            if value is None:
                match.fields.pop(key, None)
            else:
                match.fields[key] = value
        self._apply_lists(match, request.tags, custom_fields)
        match.date_updated = now
        self._reindex(match)
        return match, False

    @staticmethod
    def _apply_lists(
        contact: Contact, tags: list[str] | None, custom_fields: list[tuple[str, Any]] | None
    ) -> None:
        if tags is not None:
            contact.tags = normalise_tags(tags)
        for field_id, value in custom_fields or ():
            contact.custom_fields[field_id] = value

    # --- other operations --------------------------------------------------------------------

    def get(self, contact_id: str) -> Contact | None:
        """A contact by id, or None."""
        return self._contacts.get(contact_id)

    def delete(self, contact_id: str) -> bool:
        """Remove a contact; False if unknown."""
        contact = self._contacts.pop(contact_id, None)
        if contact is None:
            return False
        self._unindex(contact)
        return True

    def add_tags(self, contact: Contact, tags: list[str], now: float) -> list[str]:
        """Add tags to those the contact has; returns every tag."""
        contact.tags = normalise_tags([*contact.tags, *tags])
        contact.date_updated = now
        return list(contact.tags)

    def remove_tags(self, contact: Contact, tags: list[str], now: float) -> list[str]:
        """Remove tags; returns those left."""
        gone = set(normalise_tags(tags))
        contact.tags = [t for t in contact.tags if t not in gone]
        contact.date_updated = now
        return list(contact.tags)

    def all(self, location_id: str | None = None) -> list[Contact]:
        """Contacts in creation order, optionally of one location."""
        return [
            c
            for c in self._contacts.values()
            if location_id is None or c.location_id == location_id
        ]

    def count_by_email(self, email: str, location_id: str | None = None) -> int:
        """How many contacts have this e-mail (case-insensitive)."""
        wanted = email.lower()
        return sum(1 for c in self.all(location_id) if c.email_lower == wanted)

    def clear(self) -> None:
        """Forget every contact."""
        self._contacts.clear()
        self._index.clear()
