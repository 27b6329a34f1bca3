"""The REST Public Data API: ``GET /company/{n}`` and ``GET /company/{n}/officers`` (A.2-A.7).

Order of checks for every API request: per-IP limit (403, when enabled) -> Basic auth (401) ->
per-key rate limit (429 with ``X-Ratelimit-*``) -> injected faults -> the resource. Every
request that reaches the key limiter counts against the window, whatever its outcome.

Choices where the documentation is silent (documented here so clients know what they face):
- officers of an unknown company: 404 with the same body as an unknown profile;
- company numbers are upper-cased before validation; anything that is not 8 digits or two
  letters + 6 digits gets the observed 500 ``{"exception_id", "error"}``;
- injected 5xx answers carry no rate-limit headers (they come from the gateway), but count;
- ``ETag`` is sent quoted, its value equal to the body's ``etag``.

Admin endpoints under ``/_sim/`` need no key and are neither rate limited nor recorded.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, Final

import msgspec
from aiohttp import web

from .auth import INVALID_AUTHORIZATION, basic_auth_key
from .config import SimulatorConfig
from .faults import Fault, FaultInjector
from .population import Population
from .rate_limit import FixedWindowLimiter
from .request_log import RequestLog, RequestRecord
from .resources import company_profile, officer_counts

_ENCODER: Final = msgspec.json.Encoder(order="sorted")
_NOT_FOUND: Final = {"errors": [{"type": "ch:service", "error": "company-profile-not-found"}]}
_ORDER_BY: Final = {"appointed_on", "resigned_on", "surname"}
_REGISTER_TYPES: Final = {"directors", "secretaries", "llp_members"}
_CLOSED: Final = {"dissolved", "converted-closed", "removed", "closed"}
_GATEWAY_PAGES: Final = {
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}

Handler = Callable[[web.Request, str], Awaitable[web.Response]]


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=_ENCODER.encode(body),
        status=status,
        content_type="application/json",
        headers=headers,
    )


def _bad_request(message: str) -> web.Response:
    return json_response({"errors": [{"error": message, "type": "ch:validation"}]}, 400)


def _internal_error() -> web.Response:
    return json_response(
        {"exception_id": secrets.token_hex(8), "error": "Internal server error"}, 500
    )


class RestSimulator:
    """The REST API over a population; ``app`` is the aiohttp application to serve."""

    def __init__(self, population: Population, config: SimulatorConfig) -> None:
        self.population = population
        self.config = config
        self.keys = frozenset(config.rest_keys)
        self.limiter = FixedWindowLimiter(config.rate_limit, config.rate_window, config.clock)
        self.ip_limiter = (
            FixedWindowLimiter(config.ip_rate_limit, config.ip_rate_window, config.clock)
            if config.ip_rate_limit
            else None
        )
        self.faults = FaultInjector()
        self.requests = RequestLog()
        self.app = self._build_app()

    # -- Python inspection API ----------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        return {
            "requests": len(self.requests),
            "by_status": {str(k): v for k, v in sorted(self.requests.by_status.items())},
            "rate_limited": self.requests.count(429),
            "ip_limited": self.requests.count(403),
            "unauthorised": self.requests.count(401),
            "faults_injected": dict(self.faults.injected),
            "faults_pending": [f.to_json() for f in self.faults.pending()],
            "rate_limit": {"limit": self.limiter.limit, "window": self.limiter.window},
        }

    def reset(self) -> None:
        """Forget recorded requests, rate-limit windows and pending faults."""
        self.requests.clear()
        self.limiter.reset()
        if self.ip_limiter is not None:
            self.ip_limiter.reset()
        self.faults.clear()
        self.faults.injected.clear()

    # -- application --------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/company/{number}", self._guarded(self._profile))
        app.router.add_get("/company/{number}/officers", self._guarded(self._officers))
        app.router.add_get("/company/{number}/filing-history", self._guarded(self._filings))
        app.router.add_get("/_sim/stats", self._admin_stats)
        app.router.add_get("/_sim/requests", self._admin_requests)
        app.router.add_post("/_sim/faults", self._admin_add_faults)
        app.router.add_delete("/_sim/faults", self._admin_clear_faults)
        app.router.add_post("/_sim/reset", self._admin_reset)
        app.router.add_post("/_sim/officers", self._admin_officers)
        return app

    def _guarded(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def guarded(request: web.Request) -> web.StreamResponse:
            now = self.config.clock()
            key: str | None = None
            fault_name: str | None = None
            status = 0
            try:
                response, key, fault_name = await self._answer(request, handler, now)
                status = response.status if response is not None else 0
                if response is None:
                    # The connection was aborted; aiohttp ignores writing to a closed socket.
                    return web.Response(status=599)
                return response
            finally:
                self.requests.add(
                    RequestRecord(
                        now,
                        request.method,
                        request.path,
                        request.query_string,
                        status,
                        key,
                        request.remote,
                        fault_name,
                    )
                )

        return guarded

    async def _answer(
        self, request: web.Request, handler: Handler, now: float
    ) -> tuple[web.Response | None, str | None, str | None]:
        # One arrival time for the limiters and the request log, so they always agree.
        if self.ip_limiter is not None:
            ip_decision = self.ip_limiter.hit(request.remote or "", now)
            if not ip_decision.allowed:
                return json_response({"error": "Forbidden", "type": "ch:service"}, 403), None, None
        key = basic_auth_key(request.headers.get("Authorization"))
        if key is None or key not in self.keys:
            return json_response(INVALID_AUTHORIZATION, 401), None, None
        decision = self.limiter.hit(key, now)
        rate_headers = decision.headers()
        if not decision.allowed:
            body = {"error": "Too Many Requests", "type": "ch:service"}
            return json_response(body, 429, rate_headers), key, None

        delay, fault = self.faults.take(request.path)
        if delay:
            await asyncio.sleep(delay)
        if fault is not None:
            return self._fault_response(request, fault), key, fault.kind

        number = request.match_info["number"].upper()
        if not Population.is_well_formed(number):
            response = _internal_error()
        else:
            response = await handler(request, number)
        response.headers.update(rate_headers)
        response.headers["Cache-Control"] = "no-store, no-cache, must-revalidate"
        return response, key, "latency" if delay else None

    def _fault_response(self, request: web.Request, fault: Fault) -> web.Response | None:
        if fault.kind == "drop":
            if request.transport is not None:
                request.transport.abort()
            return None
        if fault.kind == "malformed_json":
            return web.Response(
                body=b'{"company_number": "0000', status=200, content_type="application/json"
            )
        if fault.status == 500:
            return _internal_error()
        reason = _GATEWAY_PAGES.get(fault.status, "Error")
        page = f"<html><body><h1>{fault.status} {reason}</h1></body></html>"
        return web.Response(text=page, status=fault.status, content_type="text/html")

    # -- resources ----------------------------------------------------------------------------

    async def _profile(self, request: web.Request, number: str) -> web.Response:
        facts = self.population.company(number)
        if facts is None:
            return json_response(_NOT_FOUND, 404)
        response = json_response(company_profile(facts))
        response.headers["ETag"] = f'"{facts.etag}"'
        return response

    async def _officers(self, request: web.Request, number: str) -> web.Response:
        query = request.query
        try:
            per_page = int(query.get("items_per_page", "35"))
            start = int(query.get("start_index", "0"))
        except ValueError:
            return _bad_request("items_per_page and start_index must be integers")
        if per_page < 0 or start < 0:
            return _bad_request("items_per_page and start_index must not be negative")
        order_by = query.get("order_by")
        if order_by is not None and order_by not in _ORDER_BY:
            return _bad_request(f"order_by must be one of {sorted(_ORDER_BY)}")
        filter_value = query.get("filter")
        if filter_value is not None and filter_value != "active":
            return _bad_request("filter must be 'active'")
        register_view = query.get("register_view", "false")
        if register_view not in ("true", "false"):
            return _bad_request("register_view must be true or false")

        facts = self.population.company(number)
        items = self.population.officers(number)
        if facts is None or items is None:
            return json_response(_NOT_FOUND, 404)
        if register_view == "true":
            if query.get("register_type") not in _REGISTER_TYPES:
                return _bad_request("register_type is required with register_view")
            # Registers are almost never held at Companies House (A.4).
            missing = {"errors": [{"type": "ch:service", "error": "register-not-found"}]}
            return json_response(missing, 404)

        closed = facts.status in _CLOSED
        if filter_value == "active":
            items = [] if closed else [i for i in items if "resigned_on" not in i]
        if order_by == "appointed_on":
            items = sorted(items, key=lambda i: i.get("appointed_on", ""), reverse=True)
        elif order_by == "resigned_on":
            items = sorted(items, key=lambda i: i.get("resigned_on", ""), reverse=True)
        elif order_by == "surname":
            items = sorted(items, key=lambda i: str(i["name"]))
        active, resigned, inactive = officer_counts(items, company_closed=closed)
        etag = _list_etag(facts.etag, items)
        body: dict[str, Any] = {
            "active_count": active,
            "etag": etag,
            "inactive_count": inactive,
            "items": items[start : start + per_page],
            "items_per_page": per_page,
            "kind": "officer-list",
            "links": {"self": f"/company/{number}/officers"},
            "resigned_count": resigned,
            "start_index": start,
            "total_results": len(items),
        }
        response = json_response(body)
        response.headers["ETag"] = f'"{etag}"'
        return response

    async def _filings(self, request: web.Request, number: str) -> web.Response:
        if self.population.company(number) is None:
            return json_response(_NOT_FOUND, 404)
        items = self.population.filings(number)
        body = {
            "filing_history_status": "filing-history-available",
            "items": items,
            "items_per_page": len(items),
            "start_index": 0,
            "total_count": len(items),
        }
        return json_response(body)

    # -- admin --------------------------------------------------------------------------------

    async def _admin_stats(self, request: web.Request) -> web.Response:
        return json_response(self.stats())

    async def _admin_requests(self, request: web.Request) -> web.Response:
        try:
            since = float(request.query.get("since", "-inf"))
        except ValueError:
            return _bad_request("since must be a number")
        return json_response([r._asdict() for r in self.requests.since(since)])

    async def _admin_add_faults(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            items = body if isinstance(body, list) else [body]
            faults = [Fault.from_json(item) for item in items]
        except (ValueError, TypeError) as error:
            return _bad_request(str(error))
        for fault in faults:
            self.faults.add(fault)
        return json_response({"pending": [f.to_json() for f in self.faults.pending()]})

    async def _admin_clear_faults(self, request: web.Request) -> web.Response:
        self.faults.clear()
        return json_response({"pending": []})

    async def _admin_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return json_response({"reset": True})

    async def _admin_officers(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            self.population.force_officer_count(str(body["number"]), int(body["count"]))
        except (ValueError, TypeError, KeyError) as error:
            return _bad_request(str(error))
        return json_response({"number": body["number"], "count": body["count"]})


def _list_etag(company_etag: str, items: list[dict[str, Any]]) -> str:
    digest = hashlib.blake2b(company_etag.encode(), digest_size=20)
    for item in items:
        digest.update(str(item.get("etag", "")).encode())
    return digest.hexdigest()
