"""JSON responses and API errors shared by the simulators' handlers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from aiohttp import web

JsonObject = dict[str, Any]


class ApiError(Exception):
    """Raised by a handler to answer with ``status`` and a JSON ``body``."""

    def __init__(
        self, status: int, body: JsonObject, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def json_response(
    body: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON response encoded with msgspec."""
    return web.Response(
        body=msgspec.json.encode(body),
        status=status,
        content_type="application/json",
        headers=headers,
    )


class InvalidJson(ValueError):
    """The request body is not valid JSON."""


async def read_json(request: web.Request) -> Any:
    """The decoded JSON body, or None for an empty body; raises :class:`InvalidJson`."""
    raw = await request.read()
    if not raw.strip():
        return None
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError as error:
        raise InvalidJson(str(error)) from error


def is_json(request: web.Request) -> bool:
    """Whether the request declares a JSON body."""
    content_type = request.content_type
    return content_type in ("application/json", "text/json") or content_type.endswith("+json")
