"""Request-body validation with the messages GoHighLevel's validation layer produces.

GoHighLevel answers 422 ``{"statusCode": 422, "message": [..], "error": "Unprocessable Entity"}``
with one message per problem, in class-validator wording ("property X should not exist",
"firstName must be a string", "email must be an email", "each value in tags must be a string").
Unknown properties are rejected, including inside ``customFields`` items
("customFields.0.property X should not exist").

Choices where the docs are silent: a contact needs neither e-mail nor phone (such a contact can
never be matched, so each upsert of it creates a new one); ``country`` must be two upper-case
letters; ``phone`` must contain 7 to 15 digits; a ``customFields`` item needs ``id`` or ``key`` and
may carry its value as ``field_value`` (v2 schema) or ``fieldValue`` (v3 name, reported working).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeGuard

CUSTOM_FIELD_DATA_TYPES = (
    "TEXT",
    "LARGE_TEXT",
    "NUMERICAL",
    "PHONE",
    "MONETORY",
    "CHECKBOX",
    "SINGLE_OPTIONS",
    "MULTIPLE_OPTIONS",
    "RADIO",
    "FLOAT",
    "TIME",
    "DATE",
    "TEXTBOX_LIST",
    "FILE_UPLOAD",
    "SIGNATURE",
)
CUSTOM_FIELD_MODELS = ("contact", "opportunity")

_NULLABLE_STRINGS = ("firstName", "lastName", "name", "email", "phone", "companyName", "website")
_STRINGS = (
    "address1",
    "city",
    "state",
    "postalCode",
    "country",
    "timezone",
    "gender",
    "dateOfBirth",
    "source",
    "assignedTo",
)
_OBJECTS = ("dndSettings", "inboundDndSettings")
_BOOLEANS = ("dnd", "createNewIfDuplicateAllowed")
_UPSERT_PROPERTIES = frozenset(
    ("locationId", "tags", "customFields", *_NULLABLE_STRINGS, *_STRINGS, *_OBJECTS, *_BOOLEANS)
)
_CUSTOM_FIELD_ITEM_PROPERTIES = frozenset(("id", "key", "field_value", "fieldValue"))

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class ValidationFailed(Exception):
    """The body broke one or more rules; ``messages`` go into the 422 body."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class CustomFieldInput:
    """One ``customFields`` item of an upsert."""

    id: str | None
    key: str | None
    value: Any


@dataclass(frozen=True)
class UpsertRequest:
    """A valid upsert body, split into what the contact store needs."""

    location_id: str
    fields: dict[str, Any]
    tags: list[str] | None
    custom_fields: list[CustomFieldInput] | None
    create_new_if_duplicate_allowed: bool


@dataclass(frozen=True)
class CustomFieldCreate:
    """A valid body of POST /locations/{locationId}/customFields."""

    name: str
    data_type: str
    model: str
    hint_text: str | None
    position: int | None


def _is_string(value: Any) -> TypeGuard[str]:
    return isinstance(value, str)


def _unknown(body: dict[str, Any], allowed: frozenset[str], prefix: str = "") -> list[str]:
    return [f"{prefix}property {key} should not exist" for key in body if key not in allowed]


def _object_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValidationFailed(["the request body must be a JSON object"])
    return body


def _string_list(body: dict[str, Any], key: str, messages: list[str]) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        messages.append(f"{key} must be an array")
        return None
    if not all(_is_string(v) for v in value):
        messages.append(f"each value in {key} must be a string")
        return None
    return list(value)


def validate_upsert(raw: Any) -> UpsertRequest:
    """Check an UpsertContactDto body; raises :class:`ValidationFailed`."""
    body = _object_body(raw)
    messages = _unknown(body, _UPSERT_PROPERTIES)
    location_id = body.get("locationId")
    if not _is_string(location_id):
        messages.append("locationId must be a string")
    if not location_id:
        messages.append("locationId should not be empty")
    fields: dict[str, Any] = {}
    for key in _NULLABLE_STRINGS:
        if key in body:
            if body[key] is not None and not _is_string(body[key]):
                messages.append(f"{key} must be a string")
            fields[key] = body[key]
    for key in _STRINGS:
        if key in body:
            if not _is_string(body[key]):
                messages.append(f"{key} must be a string")
            fields[key] = body[key]
    for key in _OBJECTS:
        if key in body:
            if not isinstance(body[key], dict):
                messages.append(f"{key} must be an object")
            fields[key] = body[key]
    for key in _BOOLEANS:
        if key in body and not isinstance(body[key], bool):
            messages.append(f"{key} must be a boolean value")
    if "dnd" in body:
        fields["dnd"] = body["dnd"]
    email = body.get("email")
    if _is_string(email) and email and not _EMAIL.match(email):
        messages.append("email must be an email")
    phone = body.get("phone")
    if _is_string(phone) and phone and not 7 <= len(re.sub(r"\D", "", phone)) <= 15:
        messages.append("phone must be a valid phone number")
    country = body.get("country")
    if _is_string(country) and not _COUNTRY.match(country):
        messages.append("country must be a valid ISO 3166-1 alpha-2 code")
    tags = _string_list(body, "tags", messages)
    custom_fields = _custom_fields(body.get("customFields"), messages)
    if messages:
        raise ValidationFailed(messages)
    return UpsertRequest(
        location_id=str(location_id),
        fields=fields,
        tags=tags,
        custom_fields=custom_fields,
        create_new_if_duplicate_allowed=body.get("createNewIfDuplicateAllowed") is True,
    )


def _custom_fields(value: Any, messages: list[str]) -> list[CustomFieldInput] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        messages.append("customFields must be an array")
        return None
    items: list[CustomFieldInput] = []
    for index, item in enumerate(value):
        prefix = f"customFields.{index}."
        if not isinstance(item, dict):
            messages.append(f"customFields.{index} must be an object")
            continue
        problems = _unknown(item, _CUSTOM_FIELD_ITEM_PROPERTIES, prefix)
        field_id, key = item.get("id"), item.get("key")
        if field_id is not None and not _is_string(field_id):
            problems.append(prefix + "id must be a string")
        if key is not None and not _is_string(key):
            problems.append(prefix + "key must be a string")
        if not field_id and not key:
            problems.append(prefix + "id should not be empty")
        messages.extend(problems)
        if not problems:
            field_value = item["field_value"] if "field_value" in item else item.get("fieldValue")
            items.append(CustomFieldInput(field_id or None, key or None, field_value))
    return items


def validate_tags(raw: Any) -> list[str]:
    """Check the body of POST/DELETE /contacts/{id}/tags; raises :class:`ValidationFailed`."""
    body = _object_body(raw)
    messages = _unknown(body, frozenset(("tags",)))
    tags = _string_list(body, "tags", messages)
    if tags is None and not messages:
        messages.append("tags should not be empty")
    if messages or tags is None:
        raise ValidationFailed(messages)
    return tags


_CUSTOM_FIELD_PROPERTIES = frozenset(
    (
        "name",
        "dataType",
        "placeholder",
        "acceptedFormat",
        "isMultipleFile",
        "maxNumberOfFiles",
        "textBoxListOptions",
        "position",
        "model",
    )
)


def validate_custom_field(raw: Any) -> CustomFieldCreate:
    """Check a custom-field create body; raises :class:`ValidationFailed`."""
    body = _object_body(raw)
    messages = _unknown(body, _CUSTOM_FIELD_PROPERTIES)
    name, data_type = body.get("name"), body.get("dataType")
    if not _is_string(name) or not name.strip():
        messages.append("name should not be empty")
    if data_type not in CUSTOM_FIELD_DATA_TYPES:
        messages.append(
            "dataType must be one of the following values: " + ", ".join(CUSTOM_FIELD_DATA_TYPES)
        )
    model = body.get("model", "contact")
    if model not in CUSTOM_FIELD_MODELS:
        messages.append("model must be one of the following values: contact, opportunity")
    # GoHighLevel's documented name for the input hint of a custom field.
    hint_key = "placeholder"
    hint_text = body.get(hint_key)
    if hint_text is not None and not _is_string(hint_text):
        messages.append(f"{hint_key} must be a string")
    position = body.get("position")
    if position is not None and (not isinstance(position, int) or isinstance(position, bool)):
        messages.append("position must be a number conforming to the specified constraints")
    if messages:
        raise ValidationFailed(messages)
    return CustomFieldCreate(str(name).strip(), str(data_type), str(model), hint_text, position)
