"""The Snov.io simulator's /_sim/ control endpoints, for a simulator in another process.

- ``GET /_sim/stats``: counters (requests, tasks, credits, balances, webhooks, faults);
- ``GET /_sim/tasks``, ``GET /_sim/tasks/{task_hash}``: tasks and their state;
- ``GET /_sim/charges[?client_id=]``: every charge, and ``items_paid_more_than_once``;
- ``GET /_sim/webhooks[?task_hash=]``: every delivery attempt and the dropped pushes;
- ``POST /_sim/balance`` ``{"balance": n}`` or ``{"add": n}``, optional ``client_id``;
- ``POST /_sim/accounts`` ``{"client_id", "client_secret", "balance"}``;
- ``POST /_sim/faults`` ``{"fail_next": {"count", "status"}, "latency": seconds,
  "drop_webhooks": {"count", "task_hash"}, "duplicate_webhooks": {"copies", "count", "task_hash"}}``
  (any subset); ``DELETE /_sim/faults`` switches every fault off;
- ``POST /_sim/domains`` ``{"name", "domain": str | null, "shape"}``;
- ``POST /_sim/emails`` ``{"first_name", "last_name", "domain", "emails": [{"email", "smtp_status",
  "unknown_status_reason"}]}``; ``DELETE /_sim/overrides`` drops forced outcomes;
- ``POST /_sim/rate-limit/reset`` empties the per-client request windows;
- plus the shared ``GET /_sim/clock``, ``POST /_sim/clock/advance``, ``GET /_sim/requests``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from leadpipe_simulators._common.admin_input import (
    admin_body,
    bad_admin_request,
    opt_float,
    opt_int,
    opt_object,
    opt_str,
    req_str,
)
from leadpipe_simulators._common.http import json_response
from leadpipe_simulators.snov.config import NoDomainShape
from leadpipe_simulators.snov.outcomes import EmailCandidate

if TYPE_CHECKING:
    from leadpipe_simulators.snov.simulator import SnovSimulator


class SnovAdmin:
    """Routes that drive a :class:`SnovSimulator` over HTTP."""

    def __init__(self, sim: SnovSimulator) -> None:
        self._sim = sim

    def install(self, app: web.Application) -> None:
        """Add the /_sim/ routes to ``app``."""
        r = app.router
        r.add_get("/_sim/stats", self._stats)
        r.add_get("/_sim/tasks", self._tasks)
        r.add_get("/_sim/tasks/{task_hash}", self._task)
        r.add_get("/_sim/charges", self._charges)
        r.add_get("/_sim/webhooks", self._webhooks)
        r.add_post("/_sim/balance", self._balance)
        r.add_post("/_sim/accounts", self._accounts)
        r.add_post("/_sim/faults", self._set_faults)
        r.add_delete("/_sim/faults", self._clear_faults)
        r.add_post("/_sim/domains", self._domain)
        r.add_post("/_sim/emails", self._emails)
        r.add_delete("/_sim/overrides", self._clear_overrides)
        r.add_post("/_sim/rate-limit/reset", self._reset_rate)

    async def _stats(self, request: web.Request) -> web.Response:
        return json_response(self._sim.stats())

    async def _tasks(self, request: web.Request) -> web.Response:
        return json_response({"tasks": [t.summary() for t in self._sim.tasks()]})

    async def _task(self, request: web.Request) -> web.Response:
        task_hash = request.match_info["task_hash"]
        try:
            task = self._sim.task(task_hash)
        except KeyError:
            return json_response({"error": f"no task {task_hash}"}, 404)
        return json_response(
            {
                **task.summary(),
                "credits": self._sim.credits_for_task(task_hash),
                "result": task.result_body(),
            }
        )

    async def _charges(self, request: web.Request) -> web.Response:
        charges = self._sim.charges(request.query.get("client_id"))
        repeated = self._sim.items_paid_more_than_once()
        return json_response(
            {
                "charges": [c.to_dict() for c in charges],
                "spent": self._sim.credits_spent_by_type(),
                "items_paid_more_than_once": [
                    {"task_type": t, "item": item, "times": n} for (t, item), n in repeated.items()
                ],
            }
        )

    async def _webhooks(self, request: web.Request) -> web.Response:
        task_hash = request.query.get("task_hash")
        return json_response(
            {
                "attempts": [a.to_dict() for a in self._sim.webhook_attempts(task_hash)],
                "dropped": self._sim.dropped_webhooks(),
                "counts": self._sim.webhooks.counts(),
            }
        )

    async def _balance(self, request: web.Request) -> web.Response:
        body = await admin_body(request)
        client_id = opt_str(body, "client_id")
        balance, add = opt_int(body, "balance", minimum=0), opt_int(body, "add")
        try:
            if balance is not None:
                self._sim.set_balance(balance, client_id)
            if add is not None:
                self._sim.add_credits(add, client_id)
            return json_response({"balance": self._sim.balance(client_id)})
        except KeyError as error:
            raise bad_admin_request(f"unknown client_id {client_id}") from error

    async def _accounts(self, request: web.Request) -> web.Response:
        body = await admin_body(request)
        client_id, secret = req_str(body, "client_id"), req_str(body, "client_secret")
        self._sim.add_account(client_id, secret, opt_int(body, "balance", minimum=0) or 0)
        return json_response({"client_id": client_id, "balance": self._sim.balance(client_id)})

    async def _set_faults(self, request: web.Request) -> web.Response:
        body = await admin_body(request)
        try:
            if (fail := opt_object(body, "fail_next")) is not None:
                self._sim.fail_next(opt_int(fail, "count", 0) or 0, opt_int(fail, "status") or 500)
            if (latency := opt_float(body, "latency")) is not None:
                self._sim.set_latency(latency)
            if (drop := opt_object(body, "drop_webhooks")) is not None:
                self._sim.drop_webhooks(opt_int(drop, "count", 1) or 1, opt_str(drop, "task_hash"))
            if (dup := opt_object(body, "duplicate_webhooks")) is not None:
                self._sim.duplicate_webhooks(
                    opt_int(dup, "copies", 2) or 2,
                    opt_int(dup, "count", 1) or 1,
                    opt_str(dup, "task_hash"),
                )
        except ValueError as error:
            raise bad_admin_request(str(error)) from error
        return json_response(self._sim.stats())

    async def _clear_faults(self, request: web.Request) -> web.Response:
        self._sim.clear_faults()
        return json_response(self._sim.stats())

    async def _domain(self, request: web.Request) -> web.Response:
        body = await admin_body(request)
        name = req_str(body, "name")
        domain = opt_str(body, "domain")
        shape_text = opt_str(body, "shape")
        try:
            shape = NoDomainShape(shape_text) if shape_text else None
        except ValueError as error:
            choices = ", ".join(s.value for s in NoDomainShape)
            raise bad_admin_request(f"shape must be one of {choices}") from error
        self._sim.set_domain(name, domain or None, shape)
        return json_response({"name": name, "domain": self._sim.expected_domain(name)})

    async def _emails(self, request: web.Request) -> web.Response:
        body = await admin_body(request)
        first, last = req_str(body, "first_name"), req_str(body, "last_name")
        domain = req_str(body, "domain")
        raw = body.get("emails")
        if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
            raise bad_admin_request("emails must be a list of objects")
        try:
            emails = [_candidate(e) for e in raw]
        except ValueError as error:
            raise bad_admin_request(str(error)) from error
        self._sim.set_emails(first, last, domain, emails)
        return json_response({"emails": [e.to_wire() for e in emails]})

    async def _clear_overrides(self, request: web.Request) -> web.Response:
        self._sim.clear_overrides()
        return json_response({"cleared": True})

    async def _reset_rate(self, request: web.Request) -> web.Response:
        self._sim.engine.reset_rate_windows()
        return json_response({"reset": True})


def _candidate(item: dict[str, Any]) -> EmailCandidate:
    status = item.get("smtp_status", "valid")
    if status == "valid":
        return EmailCandidate(req_str(item, "email"), "valid")
    if status == "unknown":
        return EmailCandidate(
            req_str(item, "email"), "unknown", opt_str(item, "unknown_status_reason")
        )
    raise ValueError("smtp_status must be valid or unknown")
