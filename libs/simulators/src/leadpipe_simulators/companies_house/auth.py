"""HTTP Basic authentication as Companies House uses it: the key is the username, the
password is empty (``Authorization: Basic base64("<key>:")``)."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Final

INVALID_AUTHORIZATION: Final[dict[str, Any]] = {
    "error": "Invalid Authorization",
    "type": "ch:service",
}


def basic_auth_key(header: str | None) -> str | None:
    """The API key carried by an ``Authorization`` header, or None if it is missing or not
    Basic with an empty password."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, colon, password = decoded.partition(":")
    if not colon or password or not key:
        return None
    return key
