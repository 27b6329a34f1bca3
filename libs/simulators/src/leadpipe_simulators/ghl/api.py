"""The simulated GoHighLevel API v2 over HTTP: routes, auth, Version header, limits, errors.

Request pipeline (simulator control calls under /_sim/ skip all of it):

1. unknown path or method → 404 ``{"statusCode": 404, "message": "Cannot GET /x", "error":
   "Not Found"}`` (the framework's wording);
2. injected latency (real seconds);
3. ``Authorization: Bearer <token>``: missing or unknown → 401 ``{"statusCode": 401, "message":
   "Invalid token: access token is invalid", "error": "Unauthorized"}``;
4. the (token, location) rate limits → 429, then an injected 429 storm → 429, both
   ``{"statusCode": 429, "message": "Too Many Requests", "error": "Too Many Requests"}``
   (undocumented body; no Retry-After); X-RateLimit-* headers go on every response from here on;
5. an injected 5xx burst → ``{"statusCode": <status>, "message": <reason>}``;
6. the ``Version`` header must be ``2021-07-28``; missing → 400 ``{"statusCode": 400, "message":
   "Version header was not found", "error": "Bad Request"}``, another value → 400 with message
   ``Version header value is not supported`` (undocumented wording, chosen here);
7. the handler: invalid JSON → 400; body rules → 422 (``validation``); a location the token does
   not belong to → 403 ``{"statusCode": 403, "message": "The token does not have access to this
   location.", "error": "Forbidden"}``; unknown contact or field → 404.

Every JSON body carries a ``traceId``. Status codes: upsert 200; adding tags and creating a custom
field 201 (the framework's default for creates); everything else 200. A ``customFields`` item whose
id (or key) is not a contact field of the location is dropped from the contact and counted in
``stats()["unknown_custom_field_ids"]``, not rejected: the real API is known to drop data silently.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.typedefs import Handler

from leadpipe_simulators._common.http import ApiError, InvalidJson, json_response, read_json
from leadpipe_simulators._common.request_log import RequestRecord
from leadpipe_simulators._common.server import is_admin_path
from leadpipe_simulators.ghl.config import API_VERSION
from leadpipe_simulators.ghl.contacts import Contact
from leadpipe_simulators.ghl.custom_fields import DuplicateFieldName
from leadpipe_simulators.ghl.validation import (
    CUSTOM_FIELD_MODELS,
    ValidationFailed,
    validate_custom_field,
    validate_tags,
    validate_upsert,
)

if TYPE_CHECKING:
    from leadpipe_simulators.ghl.simulator import GhlSimulator

UNAUTHORIZED_BODY = {
    "statusCode": 401,
    "message": "Invalid token: access token is invalid",
    "error": "Unauthorized",
}
FORBIDDEN_BODY = {
    "statusCode": 403,
    "message": "The token does not have access to this location.",
    "error": "Forbidden",
}
TOO_MANY_BODY = {"statusCode": 429, "message": "Too Many Requests", "error": "Too Many Requests"}

_LOCATION_KEY = web.RequestKey("ghl_location", str)
_RATE_HEADERS_KEY = web.RequestKey("ghl_rate_headers", dict[str, str])


def unprocessable(messages: list[str]) -> ApiError:
    """The 422 envelope."""
    return ApiError(422, {"statusCode": 422, "message": messages, "error": "Unprocessable Entity"})


def bad_request(message: str) -> ApiError:
    """The 400 envelope."""
    return ApiError(400, {"statusCode": 400, "message": message, "error": "Bad Request"})


def not_found(message: str) -> ApiError:
    """The 404 envelope."""
    return ApiError(404, {"statusCode": 404, "message": message, "error": "Not Found"})


class GhlApi:
    """Handlers and middleware of the public API, bound to one simulator."""

    def __init__(self, sim: GhlSimulator) -> None:
        self._sim = sim

    def install(self, app: web.Application) -> None:
        """Add the middleware and routes to ``app``."""
        app.middlewares.append(self._middleware)
        r = app.router
        r.add_post("/contacts/upsert", self._upsert)
        r.add_get("/contacts/{contactId}", self._get_contact)
        r.add_delete("/contacts/{contactId}", self._delete_contact)
        r.add_post("/contacts/{contactId}/tags", self._add_tags)
        r.add_delete("/contacts/{contactId}/tags", self._remove_tags)
        r.add_get("/locations/{locationId}/customFields", self._list_fields)
        r.add_post("/locations/{locationId}/customFields", self._create_field)
        r.add_get("/locations/{locationId}/customFields/{id}", self._get_field)
        r.add_delete("/locations/{locationId}/customFields/{id}", self._delete_field)

    # --- pipeline ----------------------------------------------------------------------------

    def _reply(self, body: dict[str, Any], status: int = 200) -> web.Response:
        return json_response({**body, "traceId": self._sim.next_trace_id()}, status)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if is_admin_path(request.path):
            try:
                return await handler(request)
            except ApiError as error:
                return json_response(error.body, error.status, error.headers)
        try:
            response = await self._serve(request, handler)
        except ApiError as error:
            if error.status == 422:
                self._sim.counters["rejected_422"] += 1
            response = self._reply(error.body, error.status)
        if _RATE_HEADERS_KEY in request:
            response.headers.update(request[_RATE_HEADERS_KEY])
        self._sim.request_log.append(
            RequestRecord(
                self._sim.clock.now(),
                request.method,
                request.path,
                request.query_string,
                response.status,
                request.get(_LOCATION_KEY),
            )
        )
        return response

    async def _serve(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        sim = self._sim
        if request.match_info.http_exception is not None:
            raise not_found(f"Cannot {request.method} {request.path}")
        if sim.faults.latency > 0:
            await asyncio.sleep(sim.faults.latency)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        location = sim.config.tokens.get(token) if scheme.lower() == "bearer" and token else None
        if location is None:
            raise ApiError(401, UNAUTHORIZED_BODY)
        request[_LOCATION_KEY] = location
        now = sim.clock.now()
        decision = sim.limiter.acquire((token, location), now)
        request[_RATE_HEADERS_KEY] = decision.headers
        if not decision.allowed:
            sim.counters["rate_limited_429"] += 1
            raise ApiError(429, TOO_MANY_BODY)
        if sim.ghl_faults.take_storm(now):
            request[_RATE_HEADERS_KEY] = {**decision.headers, "X-RateLimit-Remaining": "0"}
            raise ApiError(429, TOO_MANY_BODY)
        if (status := sim.faults.take_failure()) is not None:
            raise ApiError(status, {"statusCode": status, "message": HTTPStatus(status).phrase})
        version = request.headers.get("Version")
        if version is None:
            raise bad_request("Version header was not found")
        if version != API_VERSION:
            raise bad_request("Version header value is not supported")
        return await handler(request)

    @staticmethod
    def _check_location(request: web.Request, location_id: str) -> None:
        if request[_LOCATION_KEY] != location_id:
            raise ApiError(403, FORBIDDEN_BODY)

    @staticmethod
    async def _body(request: web.Request) -> Any:
        try:
            return await read_json(request)
        except InvalidJson as error:
            raise bad_request(f"Unexpected token in JSON body: {error}") from error

    def _contact(self, request: web.Request) -> Contact:
        contact = self._sim.contact_store.get(request.match_info["contactId"])
        if contact is None:
            raise not_found("Contact not found")
        self._check_location(request, contact.location_id)
        return contact

    # --- contacts ----------------------------------------------------------------------------

    async def _upsert(self, request: web.Request) -> web.Response:
        sim = self._sim
        try:
            upsert = validate_upsert(await self._body(request))
        except ValidationFailed as error:
            raise unprocessable(error.messages) from error
        self._check_location(request, upsert.location_id)
        if (message := sim.ghl_faults.rejection_for(upsert.fields.get("email"))) is not None:
            sim.counters["forced_422"] += 1
            raise unprocessable([message])
        custom: list[tuple[str, Any]] | None = None
        if upsert.custom_fields is not None:
            custom = []
            for item in upsert.custom_fields:
                field_id = sim.custom_field_store.resolve(upsert.location_id, item.id, item.key)
                if field_id is None:
                    sim.counters["unknown_custom_field_ids"] += 1
                else:
                    custom.append((field_id, item.value))
        contact, created = sim.contact_store.upsert(
            upsert, sim.location_settings(upsert.location_id), custom, sim.clock.now()
        )
        sim.counters["created" if created else "updated"] += 1
        return self._reply({"new": created, "contact": contact.to_wire()})

    async def _get_contact(self, request: web.Request) -> web.Response:
        return self._reply({"contact": self._contact(request).to_wire()})

    async def _delete_contact(self, request: web.Request) -> web.Response:
        contact = self._contact(request)
        self._sim.contact_store.delete(contact.id)
        self._sim.counters["deleted"] += 1
        return self._reply({"succeded": True})

    async def _tags_body(self, request: web.Request) -> list[str]:
        try:
            return validate_tags(await self._body(request))
        except ValidationFailed as error:
            raise unprocessable(error.messages) from error

    async def _add_tags(self, request: web.Request) -> web.Response:
        contact = self._contact(request)
        tags = await self._tags_body(request)
        now = self._sim.clock.now()
        return self._reply({"tags": self._sim.contact_store.add_tags(contact, tags, now)}, 201)

    async def _remove_tags(self, request: web.Request) -> web.Response:
        contact = self._contact(request)
        tags = await self._tags_body(request)
        now = self._sim.clock.now()
        return self._reply({"tags": self._sim.contact_store.remove_tags(contact, tags, now)})

    # --- custom fields -----------------------------------------------------------------------

    async def _list_fields(self, request: web.Request) -> web.Response:
        location_id = request.match_info["locationId"]
        self._check_location(request, location_id)
        model = request.query.get("model", "all")
        if model not in (*CUSTOM_FIELD_MODELS, "all"):
            raise unprocessable(
                ["model must be one of the following values: contact, opportunity, all"]
            )
        fields = self._sim.custom_field_store.for_location(location_id, model)
        return self._reply({"customFields": [f.to_wire() for f in fields]})

    async def _create_field(self, request: web.Request) -> web.Response:
        location_id = request.match_info["locationId"]
        self._check_location(request, location_id)
        try:
            spec = validate_custom_field(await self._body(request))
        except ValidationFailed as error:
            raise unprocessable(error.messages) from error
        try:
            field = self._sim.custom_field_store.create(
                location_id, spec.name, spec.data_type, spec.model, spec.hint_text, spec.position
            )
        except DuplicateFieldName as error:
            raise ApiError(
                400,
                {"statusCode": 400, "message": "A custom field with this name already exists"},
            ) from error
        return self._reply({"customField": field.to_wire()}, 201)

    async def _get_field(self, request: web.Request) -> web.Response:
        location_id = request.match_info["locationId"]
        self._check_location(request, location_id)
        field = self._sim.custom_field_store.get(location_id, request.match_info["id"])
        if field is None:
            raise not_found("Custom field not found")
        return self._reply({"customField": field.to_wire()})

    async def _delete_field(self, request: web.Request) -> web.Response:
        location_id = request.match_info["locationId"]
        self._check_location(request, location_id)
        if not self._sim.custom_field_store.delete(location_id, request.match_info["id"]):
            raise not_found("Custom field not found")
        return self._reply({"succeded": True})
