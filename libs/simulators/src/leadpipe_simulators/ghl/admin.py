"""The GoHighLevel simulator's /_sim/ control endpoints, for a simulator in another process.

- ``GET /_sim/stats``: counters (requests by status, contacts, created/updated/deleted, 422s,
  429s, unknown custom field ids, faults, limits);
- ``GET /_sim/contacts[?email=&location_id=]``: contacts as the API shows them, with ``count``;
- ``GET /_sim/contacts/{contactId}``;
- ``POST /_sim/faults`` ``{"fail_next": {"count", "status"}, "latency": seconds,
  "storm_429": {"count", "seconds"}, "reject_emails": [str] | [{"email", "message"}]}`` (any
  subset); ``DELETE /_sim/faults`` switches every fault off;
- ``POST /_sim/tokens`` ``{"token", "location_id"}``; ``DELETE /_sim/tokens/{token}``;
- ``POST /_sim/locations/{locationId}/settings`` ``{"allow_duplicates", "match_order"}``;
- ``POST /_sim/locations/{locationId}/custom-fields`` ``{"name", "data_type", "model"}``;
- ``POST /_sim/rate-limits`` ``{"burst_limit", "burst_interval", "daily_limit"}``;
  ``POST /_sim/rate-limits/reset``;
- ``POST /_sim/reset``: forget contacts, fields, counters, requests and counted requests;
- plus the shared ``GET /_sim/clock``, ``POST /_sim/clock/advance``, ``GET /_sim/requests``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from aiohttp import web

from leadpipe_simulators._common.admin_input import (
    admin_body,
    bad_admin_request,
    opt_bool,
    opt_float,
    opt_int,
    opt_object,
    opt_str,
    req_str,
)
from leadpipe_simulators._common.http import json_response
from leadpipe_simulators.ghl.config import MatchField
from leadpipe_simulators.ghl.custom_fields import DuplicateFieldName
from leadpipe_simulators.ghl.faults import DEFAULT_REJECTION

if TYPE_CHECKING:
    from leadpipe_simulators.ghl.simulator import GhlSimulator


class GhlAdmin:
    """Routes that drive a :class:`GhlSimulator` over HTTP."""

    def __init__(self, sim: GhlSimulator) -> None:
        self._sim = sim

    def install(self, app: web.Application) -> None:
        """Add the /_sim/ routes to ``app``."""
        r = app.router
        r.add_get("/_sim/stats", self._stats)
        r.add_get("/_sim/contacts", self._contacts)
        r.add_get("/_sim/contacts/{contactId}", self._contact)
        r.add_post("/_sim/faults", self._set_faults)
        r.add_delete("/_sim/faults", self._clear_faults)
        r.add_post("/_sim/tokens", self._add_token)
        r.add_delete("/_sim/tokens/{token}", self._revoke_token)
        r.add_post("/_sim/locations/{locationId}/settings", self._settings)
        r.add_post("/_sim/locations/{locationId}/custom-fields", self._custom_field)
        r.add_post("/_sim/rate-limits", self._rate_limits)
        r.add_post("/_sim/rate-limits/reset", self._reset_rate_limits)
        r.add_post("/_sim/reset", self._reset)

    async def _stats(self, request: web.Request) -> web.Response:
        return json_response(self._sim.stats())

    async def _contacts(self, request: web.Request) -> web.Response:
        location_id = request.query.get("location_id")
        email = request.query.get("email")
        if email is not None:
            contacts = self._sim.contacts_by_email(email, location_id)
        else:
            contacts = self._sim.contacts(location_id)
        return json_response({"count": len(contacts), "contacts": contacts})

    async def _contact(self, request: web.Request) -> web.Response:
        contact = self._sim.contact(request.match_info["contactId"])
        if contact is None:
            return json_response({"error": "no such contact"}, 404)
        return json_response({"contact": contact})

    async def _set_faults(self, request: web.Request) -> web.Response:
        body = await admin_body(request)
        try:
            if (fail := opt_object(body, "fail_next")) is not None:
                self._sim.fail_next(opt_int(fail, "count", 0) or 0, opt_int(fail, "status") or 500)
            if (latency := opt_float(body, "latency")) is not None:
                self._sim.set_latency(latency)
            if (storm := opt_object(body, "storm_429")) is not None:
                self._sim.storm_429(opt_int(storm, "count", 0), opt_float(storm, "seconds"))
            for item in body.get("reject_emails") or []:
                if isinstance(item, str):
                    self._sim.reject_email(item)
                elif isinstance(item, dict):
                    message = opt_str(item, "message") or DEFAULT_REJECTION
                    self._sim.reject_email(req_str(item, "email"), message)
                else:
                    raise bad_admin_request("reject_emails items are strings or objects")
        except ValueError as error:
            raise bad_admin_request(str(error)) from error
        return json_response(self._sim.stats())

    async def _clear_faults(self, request: web.Request) -> web.Response:
        self._sim.clear_faults()
        return json_response(self._sim.stats())

    async def _add_token(self, request: web.Request) -> web.Response:
        body = await admin_body(request)
        token, location_id = req_str(body, "token"), req_str(body, "location_id")
        self._sim.add_token(token, location_id)
        return json_response({"location_id": location_id})

    async def _revoke_token(self, request: web.Request) -> web.Response:
        self._sim.revoke_token(request.match_info["token"])
        return json_response({"revoked": True})

    async def _settings(self, request: web.Request) -> web.Response:
        body = await admin_body(request)
        order = body.get("match_order")
        if order is not None and (
            not isinstance(order, list) or any(f not in ("email", "phone") for f in order)
        ):
            raise bad_admin_request('match_order is a list of "email" / "phone"')
        try:
            settings = self._sim.set_location_settings(
                request.match_info["locationId"],
                opt_bool(body, "allow_duplicates"),
                tuple(cast(list[MatchField], order)) if order is not None else None,
            )
        except ValueError as error:
            raise bad_admin_request(str(error)) from error
        return json_response(
            {
                "allow_duplicates": settings.allow_duplicates,
                "match_order": list(settings.match_order),
            }
        )

    async def _custom_field(self, request: web.Request) -> web.Response:
        body = await admin_body(request)
        try:
            field = self._sim.add_custom_field(
                request.match_info["locationId"],
                req_str(body, "name"),
                opt_str(body, "data_type") or "TEXT",
                opt_str(body, "model") or "contact",
            )
        except DuplicateFieldName as error:
            raise bad_admin_request(f"a field named {error} already exists") from error
        return json_response({"customField": field.to_wire()})

    async def _rate_limits(self, request: web.Request) -> web.Response:
        body = await admin_body(request)
        try:
            self._sim.set_rate_limits(
                opt_int(body, "burst_limit", 1),
                opt_float(body, "burst_interval"),
                opt_int(body, "daily_limit", 1),
            )
        except ValueError as error:
            raise bad_admin_request(str(error)) from error
        return json_response(self._sim.stats()["rate_limits"])

    async def _reset_rate_limits(self, request: web.Request) -> web.Response:
        self._sim.reset_rate_limits()
        return json_response({"reset": True})

    async def _reset(self, request: web.Request) -> web.Response:
        self._sim.reset()
        return json_response({"reset": True})
