"""Resolving the contact custom fields crm-sync writes to their GoHighLevel ids, once.

GoHighLevel addresses custom field values by id; ids differ per location. The names come from
settings; a field missing in the location is created (so a fresh sub-account works), and the ids
are cached for the life of the process.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Protocol

from crm_sync.adapters.ghl import CustomFieldInfo, GhlRejected
from crm_sync.domain import FieldIds

log = logging.getLogger(__name__)


class CustomFieldApi(Protocol):
    """The part of the GoHighLevel client the resolver needs."""

    async def list_custom_fields(self) -> list[CustomFieldInfo]: ...

    async def create_custom_field(self, name: str, data_type: str) -> CustomFieldInfo: ...


@dataclasses.dataclass(frozen=True)
class FieldNames:
    """Names of the custom fields in the location."""

    company_number: str
    strike_off_date: str
    officer_role: str
    lead_score: str

    def with_types(self) -> dict[str, tuple[str, str]]:
        """Attribute → (name, GoHighLevel data type used when creating it)."""
        return {
            "company_number": (self.company_number, "TEXT"),
            "strike_off_date": (self.strike_off_date, "DATE"),
            "officer_role": (self.officer_role, "TEXT"),
            "lead_score": (self.lead_score, "NUMERICAL"),
        }


class FieldResolver:
    """Resolves ``FieldIds`` on first use and caches them."""

    def __init__(self, api: CustomFieldApi, names: FieldNames) -> None:
        self._api = api
        self._names = names
        self._lock = asyncio.Lock()
        self._ids: FieldIds | None = None

    @property
    def resolved(self) -> bool:
        """Whether the ids are known."""
        return self._ids is not None

    async def ids(self) -> FieldIds:
        """The field ids, listing (and creating missing fields) on the first call only."""
        if self._ids is not None:
            return self._ids
        async with self._lock:
            if self._ids is None:
                self._ids = await self._resolve()
            return self._ids

    async def _resolve(self) -> FieldIds:
        existing = {
            field.name.strip().lower(): field.id for field in await self._api.list_custom_fields()
        }
        found: dict[str, str] = {}
        for attribute, (name, data_type) in self._names.with_types().items():
            field_id = existing.get(name.strip().lower())
            if field_id is None:
                try:
                    field_id = (await self._api.create_custom_field(name, data_type)).id
                    log.info("created GoHighLevel custom field", extra={"field": name})
                except GhlRejected:
                    # Created meanwhile by another instance: read it back.
                    fields = await self._api.list_custom_fields()
                    matches = [
                        f.id for f in fields if f.name.strip().lower() == name.strip().lower()
                    ]
                    if not matches:
                        raise
                    field_id = matches[0]
            found[attribute] = field_id
        return FieldIds(**found)
