"""Reading the JSON bodies of /_sim/ control calls, with a 400 for anything malformed."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from leadpipe_simulators._common.http import ApiError, InvalidJson, read_json


def bad_admin_request(message: str) -> ApiError:
    """The error every /_sim/ endpoint answers to bad input."""
    return ApiError(400, {"error": message})


async def admin_body(request: web.Request) -> dict[str, Any]:
    """The JSON object sent to a /_sim/ endpoint ({} for an empty body)."""
    try:
        body = await read_json(request)
    except InvalidJson as error:
        raise bad_admin_request(f"invalid JSON: {error}") from error
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise bad_admin_request("the body must be a JSON object")
    return body


def opt_int(body: dict[str, Any], key: str, minimum: int | None = None) -> int | None:
    """An optional integer field."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad_admin_request(f"{key} must be an integer")
    if minimum is not None and value < minimum:
        raise bad_admin_request(f"{key} must be at least {minimum}")
    return value


def opt_float(body: dict[str, Any], key: str) -> float | None:
    """An optional non-negative number field."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise bad_admin_request(f"{key} must be a non-negative number")
    return float(value)


def opt_str(body: dict[str, Any], key: str) -> str | None:
    """An optional string field."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_admin_request(f"{key} must be a string")
    return value


def req_str(body: dict[str, Any], key: str) -> str:
    """A required non-empty string field."""
    value = opt_str(body, key)
    if not value:
        raise bad_admin_request(f"{key} is required")
    return value


def opt_bool(body: dict[str, Any], key: str) -> bool | None:
    """An optional boolean field."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise bad_admin_request(f"{key} must be a boolean")
    return value


def opt_object(body: dict[str, Any], key: str) -> dict[str, Any] | None:
    """An optional nested object field."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_admin_request(f"{key} must be an object")
    return value
