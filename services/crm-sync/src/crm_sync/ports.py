"""The interfaces the handlers depend on, implemented by ``adapters`` (and by fakes in tests)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Protocol

from crm_sync.adapters.ghl import UpsertResult
from leadpipe_contracts import Event


@dataclasses.dataclass(frozen=True)
class ContactRow:
    """What crm-sync remembers of one lead.

    Attributes:
        crm_contact_id: GoHighLevel's id, None until a send succeeded.
        payload_hash: Hash of the last body sent successfully.
        tags: Managed tags the contact carries.
        person_keys: One-way keys of the person (for suppression and erasure).
        entered_on: Strike-off entry date of the company at sync time.
        lead_at: ``occurred_at`` of the newest ``ContactFound`` applied (None: not recorded).
        lead_event: Its event id (orders publications with the same ``occurred_at``).
    """

    contact_key: str
    company_number: str
    crm_contact_id: str | None
    payload_hash: str | None
    tags: tuple[str, ...]
    person_keys: tuple[str, ...]
    entered_on: dt.date | None = None
    lead_at: dt.datetime | None = None
    lead_event: str | None = None


class ErasureRaced(Exception):
    """A contact of the person was stored while the erasure ran; run the erasure again."""


class CrmApi(Protocol):
    """GoHighLevel, as the handlers use it."""

    async def upsert_contact(self, body: dict[str, object]) -> UpsertResult: ...

    async def delete_contact(self, contact_id: str) -> bool: ...

    async def add_tags(self, contact_id: str, tags: tuple[str, ...]) -> None: ...

    async def remove_tags(self, contact_id: str, tags: tuple[str, ...]) -> None: ...


class Store(Protocol):
    """crm-sync's state; every write that causes events commits them through the outbox."""

    async def contact(self, contact_key: str) -> ContactRow | None:
        """The lead's row, if any."""
        ...

    async def suppressed(self, person_keys: frozenset[str]) -> bool:
        """Whether any of the keys is suppressed."""
        ...

    async def company_left_at(self, company_number: str) -> dt.datetime | None:
        """When the company last left proposal to strike off, if recorded."""
        ...

    async def record_synced(self, row: ContactRow, event: Event) -> bool:
        """Store a successful send and queue ``event``; False (nothing stored) if the person
        was suppressed meanwhile."""
        ...

    async def record_newest(self, contact_key: str, lead_at: dt.datetime, lead_event: str) -> None:
        """Remember a newer publication of the lead that needed no send (same payload)."""
        ...

    async def record_failed(
        self,
        row: ContactRow,
        *,
        failed_hash: str,
        status: int | None,
        reason: str,
        event: Event,
    ) -> None:
        """Record a refusal against the lead (keeping what was synced) and queue ``event``."""
        ...

    async def record_left(self, company_number: str, left_at: dt.datetime, reason: str) -> None:
        """Remember that the company left proposal to strike off (the latest exit wins)."""
        ...

    async def contacts_of_company(self, company_number: str) -> list[ContactRow]:
        """Every lead of the company that exists in GoHighLevel."""
        ...

    async def update_tags(self, contact_key: str, tags: tuple[str, ...]) -> None:
        """Remember the managed tags a contact now carries."""
        ...

    async def matching(self, person_keys: frozenset[str]) -> list[ContactRow]:
        """Every lead whose person has any of the keys."""
        ...

    async def record_erasure(
        self,
        *,
        consumer: str,
        event_id: str,
        request_id: str,
        person_keys: frozenset[str],
        erased: Sequence[str],
        events: Sequence[Event],
    ) -> None:
        """Suppress the keys, forget the erased leads and queue ``events``, atomically.

        Raises:
            ErasureRaced: A lead of the person not in ``erased`` appeared meanwhile.
        """
        ...

    async def record_lift(
        self,
        *,
        consumer: str,
        event_id: str,
        request_id: str,
        completion: Callable[[int], Event],
    ) -> None:
        """Drop the suppressions one erasure request set, once, and queue its completion.

        ``completion`` builds the event from how many suppressions went; it is queued in the
        same transaction.
        """
        ...
