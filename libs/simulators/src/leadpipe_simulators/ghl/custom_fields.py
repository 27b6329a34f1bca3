"""Custom field definitions per location (GET/POST /locations/{locationId}/customFields).

``fieldKey`` is ``<model>.`` plus the name in lower snake case (``Company Number`` →
``contact.company_number``), suffixed ``_2``, ``_3``... if taken. Choice where the docs are silent:
creating a field whose name (case-insensitive) already exists for the same model answers 400
``{"statusCode": 400, "message": "A custom field with this name already exists"}``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from leadpipe_simulators._common.determinism import stable_token


@dataclass
class CustomField:
    """One custom field definition."""

    id: str
    location_id: str
    name: str
    field_key: str
    data_type: str
    model: str
    hint_text: str  # the input hint GoHighLevel calls "placeholder" on the wire
    position: int

    def to_wire(self) -> dict[str, Any]:
        """The customFields[] item GoHighLevel returns."""
        return {
            "id": self.id,
            "name": self.name,
            "fieldKey": self.field_key,
            "placeholder": self.hint_text,
            "dataType": self.data_type,
            "position": self.position,
            "picklistOptions": [],
            "picklistImageOptions": [],
            "isAllowedCustomOption": False,
            "isMultiFileAllowed": False,
            "maxFileLimit": 0,
            "locationId": self.location_id,
            "model": self.model,
        }


class DuplicateFieldName(ValueError):
    """A field with that name already exists for the model in the location."""


class CustomFieldStore:
    """Definitions for every location."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._fields: dict[str, CustomField] = {}
        self._numbers = itertools.count(1)

    def create(
        self,
        location_id: str,
        name: str,
        data_type: str = "TEXT",
        model: str = "contact",
        hint_text: str | None = None,
        position: int | None = None,
    ) -> CustomField:
        """Define a field; raises :class:`DuplicateFieldName`."""
        existing = self.for_location(location_id, model)
        if any(f.name.lower() == name.lower() for f in existing):
            raise DuplicateFieldName(name)
        stem = f"{model}." + (re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "field")
        taken = {f.field_key for f in existing}
        key = next(
            candidate
            for candidate in itertools.chain([stem], (f"{stem}_{n}" for n in itertools.count(2)))
            if candidate not in taken
        )
        field = CustomField(
            id=stable_token(self._seed, "custom-field", next(self._numbers)),
            location_id=location_id,
            name=name,
            field_key=key,
            data_type=data_type,
            model=model,
            hint_text=hint_text or "",
            position=position if position is not None else 50 * (len(existing) + 1),
        )
        self._fields[field.id] = field
        return field

    def for_location(self, location_id: str, model: str = "all") -> list[CustomField]:
        """The location's fields, optionally of one model ("contact" / "opportunity")."""
        return [
            f
            for f in self._fields.values()
            if f.location_id == location_id and (model == "all" or f.model == model)
        ]

    def list_all(self) -> list[CustomField]:
        """Every location's fields."""
        return list(self._fields.values())

    def get(self, location_id: str, field_id: str) -> CustomField | None:
        """One field of the location, or None."""
        field = self._fields.get(field_id)
        return field if field is not None and field.location_id == location_id else None

    def delete(self, location_id: str, field_id: str) -> bool:
        """Remove a field; False if the location has no such field."""
        if self.get(location_id, field_id) is None:
            return False
        del self._fields[field_id]
        return True

    def resolve(self, location_id: str, field_id: str | None, key: str | None) -> str | None:
        """The id of a contact field given by id or by key (with or without ``contact.``)."""
        if field_id is not None:
            field = self.get(location_id, field_id)
            return field.id if field is not None and field.model == "contact" else None
        if key is not None:
            wanted = key if key.startswith("contact.") else f"contact.{key}"
            for field in self.for_location(location_id, "contact"):
                if field.field_key == wanted:
                    return field.id
        return None

    def clear(self) -> None:
        """Forget every definition."""
        self._fields.clear()
