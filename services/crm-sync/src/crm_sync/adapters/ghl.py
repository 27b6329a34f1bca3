"""The GoHighLevel API v2 client: the only code in Leadpipe that talks to GoHighLevel.

Every call carries ``Authorization: Bearer``, ``Version: 2021-07-28`` and a timeout, waits for its
turn in the ``Pacer``, and reports the response headers back to it. What a status means for the
caller decides where it is handled::

    GhlError
    ├── GhlUnavailable   transport errors, timeouts, 5xx after a few tries: retry the message later
    ├── GhlRejected      400 / 422 (and other 4xx): GoHighLevel refuses this request's data
    └── GhlNotFound      404: the contact (or field) does not exist

Two statuses are ridden out inside the client instead of raised, because they say nothing about
the message being processed: a 429 pauses every call (back-off with jitter) and the call is sent
again; a 401/403 closes the ``AuthGate`` (health degraded, logged once) and every call waits there
until one probe call, once per ``retry_after`` seconds, is accepted. Messages are therefore held,
not retried into the dead-letter stream, while the token is bad or the quota is spent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
from prometheus_client import Counter, Gauge

from crm_sync.pacing import Pacer
from leadpipe_bus.telemetry import Label, Value
from leadpipe_runtime import Secret
from leadpipe_runtime.tracing import client_span, record_status

API_VERSION = "2021-07-28"
log = logging.getLogger(__name__)

RESPONSES = Counter(
    "leadpipe_ghl_responses_total",
    "GoHighLevel responses by status (0: no response).",
    [Label.STATUS],
)
AUTH_OK = Gauge("leadpipe_ghl_auth_ok", "1 while GoHighLevel accepts the token, 0 after 401/403.")
# Contact and location ids in paths become placeholders: spans name routes, not records.
_ID_SEGMENTS = (
    (re.compile(r"^/contacts/(?!upsert$|search$)[^/]+"), "/contacts/{contactId}"),
    (re.compile(r"^/locations/[^/]+"), "/locations/{locationId}"),
)


def route_of(path: str) -> str:
    """The path as a template, without record ids."""
    for pattern, template in _ID_SEGMENTS:
        path = pattern.sub(template, path)
    return path


class GhlError(Exception):
    """Base of the GoHighLevel client's errors.

    Attributes:
        status: The HTTP status, or None when no response arrived.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GhlUnavailable(GhlError):
    """No usable answer (transport error, timeout, 5xx); the same call may succeed later."""


class GhlRejected(GhlError):
    """GoHighLevel refused the request's data (400, 422, other 4xx).

    Attributes:
        messages: The validation messages of the error body.
    """

    def __init__(self, status: int, messages: list[str]) -> None:
        super().__init__(f"GoHighLevel answered {status}: {'; '.join(messages)}", status)
        self.messages = messages


class GhlNotFound(GhlError):
    """The addressed resource does not exist (404)."""


def error_messages(body: Any) -> list[str]:
    """The ``message`` of an error body as a list (422 sends a list, others a string)."""
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, list):
            return [str(item) for item in message]
        if message is not None:
            return [str(message)]
        if "error" in body:
            return [str(body["error"])]
    return ["no error message in the response"]


class AuthGate:
    """Holds every call while GoHighLevel refuses the token; lets one probe through at a time.

    Args:
        retry_after: Seconds between probes while refused.
        monotonic: Clock.
    """

    def __init__(
        self, retry_after: float, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._retry_after = retry_after
        self._monotonic = monotonic
        self._condition = asyncio.Condition()
        self._probing = False
        self._probe_started = 0.0
        self._probe_at = 0.0
        self.refusal: str | None = None
        AUTH_OK.set(1)

    @property
    def ok(self) -> bool:
        """Whether the token is believed good."""
        return self.refusal is None

    async def enter(self) -> None:
        """Return when a call may be sent: the token is good, or this call is the probe.

        A probe that never reports back (its caller was cancelled) is taken over after
        ``retry_after`` seconds, so the gate cannot stay shut by a lost probe.
        """
        async with self._condition:
            while self.refusal is not None:
                now = self._monotonic()
                if self._probing and now - self._probe_started >= self._retry_after:
                    self._probing = False
                if not self._probing and now >= self._probe_at:
                    self._probing, self._probe_started = True, now
                    return
                if self._probing:
                    timeout = self._probe_started + self._retry_after - now
                else:
                    timeout = self._probe_at - now
                try:
                    await asyncio.wait_for(self._condition.wait(), max(timeout, 0.001))
                except TimeoutError:
                    continue

    async def accepted(self) -> None:
        """A response other than 401/403 arrived."""
        if self.refusal is None and not self._probing:
            return
        async with self._condition:
            if self.refusal is not None:
                log.warning("GoHighLevel accepts the token again")
            self.refusal, self._probing = None, False
            AUTH_OK.set(1)
            self._condition.notify_all()

    async def refused(self, status: int, message: str) -> None:
        """A 401/403 arrived: hold every call until a probe succeeds."""
        async with self._condition:
            if self.refusal is None:
                log.error(
                    "GoHighLevel refuses the token; holding every call until it is fixed",
                    extra={"status": status, "detail": message},
                )
            self.refusal = f"{status}: {message}"
            self._probing = False
            self._probe_at = self._monotonic() + self._retry_after
            AUTH_OK.set(0)
            self._condition.notify_all()

    async def inconclusive(self) -> None:
        """The probe got no answer: let another call probe."""
        async with self._condition:
            if self._probing:
                self._probing = False
                self._condition.notify_all()


@dataclasses.dataclass(frozen=True)
class UpsertResult:
    """What ``POST /contacts/upsert`` answered."""

    contact_id: str
    created: bool


@dataclasses.dataclass(frozen=True)
class CustomFieldInfo:
    """One custom field definition."""

    id: str
    name: str
    data_type: str


class GhlClient:
    """GoHighLevel API v2 calls used by crm-sync.

    Args:
        session: The aiohttp session (owned by the caller).
        base_url: API base, e.g. ``https://services.leadconnectorhq.com``.
        token: Bearer token.
        location_id: The sub-account.
        pacer: Rate pacing shared by every call of this location.
        gate: The token state shared by every call.
        timeout: Seconds per call.
        server_error_attempts: Tries on 5xx / transport errors before ``GhlUnavailable``.
        backoff_base: First pause between those tries.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        token: Secret,
        location_id: str,
        pacer: Pacer,
        gate: AuthGate,
        timeout: float = 15.0,
        server_error_attempts: int = 3,
        backoff_base: float = 1.0,
    ) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._token = token
        self.location_id = location_id
        self.pacer = pacer
        self.gate = gate
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._attempts = server_error_attempts
        self._backoff_base = backoff_base

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._token.reveal()}",
            "Version": API_VERSION,
            "Accept": "application/json",
        }

    async def _send(
        self, method: str, path: str, body: Any, params: Mapping[str, str] | None
    ) -> tuple[int, Mapping[str, str], Any]:
        with client_span(Value.GOHIGHLEVEL, method, self._base, route_of(path)) as span:
            async with self._session.request(
                method,
                self._base + path,
                json=body,
                params=params,
                headers=self._headers(),
                timeout=self._timeout,
            ) as response:
                record_status(span, response.status)
                text = await response.text()
                try:
                    parsed: Any = await response.json(content_type=None) if text.strip() else {}
                except ValueError:
                    parsed = {"message": text[:200]}
                return response.status, response.headers, parsed

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        failures = 0
        while True:
            await self.gate.enter()
            ticket = await self.pacer.acquire()
            try:
                status, headers, parsed = await self._send(method, path, body, params)
            except (aiohttp.ClientError, TimeoutError) as exc:
                failure: Exception | None = exc
            else:
                failure = None
            finally:
                # However the call ended (a cancellation included), it stops being in flight.
                self.pacer.answered(ticket)
            if failure is not None:
                RESPONSES.labels("0").inc()
                await self.gate.inconclusive()
                failures += 1
                reason = f"{method} {path}: {type(failure).__name__}: {failure}"
                if failures >= self._attempts:
                    raise GhlUnavailable(reason) from failure
                await self._back_off(failures, reason)
                continue
            RESPONSES.labels(str(status)).inc()
            if status in (401, 403):
                self.pacer.responded(headers)
                await self.gate.refused(status, "; ".join(error_messages(parsed)))
                continue
            await self.gate.accepted()
            if status == 429:
                pause = self.pacer.rate_limited(headers)
                log.warning(
                    "GoHighLevel rate limit hit; pausing every call",
                    extra={"path": path, "pause_seconds": round(pause, 2)},
                )
                continue
            self.pacer.responded(headers)
            if 200 <= status < 300:
                return parsed
            if status >= 500:
                failures += 1
                reason = f"{method} {path}: GoHighLevel answered {status}"
                if failures >= self._attempts:
                    raise GhlUnavailable(reason, status)
                await self._back_off(failures, reason)
                continue
            if status == 404:
                raise GhlNotFound(f"{method} {path}: not found", status)
            raise GhlRejected(status, error_messages(parsed))

    async def _back_off(self, failures: int, reason: str) -> None:
        delay = self._backoff_base * 2.0 ** (failures - 1)
        delay = delay / 2 + random.uniform(0, delay / 2)
        log.warning("GoHighLevel call failed; trying again", extra={"error": reason})
        await asyncio.sleep(delay)

    # --- contacts ------------------------------------------------------------------------------

    async def upsert_contact(self, body: Mapping[str, Any]) -> UpsertResult:
        """``POST /contacts/upsert``: create or update by the location's duplicate rules."""
        parsed = await self._call("POST", "/contacts/upsert", body=dict(body))
        contact = parsed.get("contact") if isinstance(parsed, dict) else None
        if not isinstance(contact, dict) or not isinstance(contact.get("id"), str):
            raise GhlUnavailable("upsert answered without contact.id")
        return UpsertResult(contact_id=contact["id"], created=parsed.get("new") is True)

    async def delete_contact(self, contact_id: str) -> bool:
        """``DELETE /contacts/{id}``; False if it did not exist."""
        try:
            await self._call("DELETE", f"/contacts/{contact_id}")
        except GhlNotFound:
            return False
        return True

    async def add_tags(self, contact_id: str, tags: tuple[str, ...]) -> None:
        """``POST /contacts/{id}/tags``: add without touching other tags."""
        await self._call("POST", f"/contacts/{contact_id}/tags", body={"tags": list(tags)})

    async def remove_tags(self, contact_id: str, tags: tuple[str, ...]) -> None:
        """``DELETE /contacts/{id}/tags``: remove only these tags."""
        await self._call("DELETE", f"/contacts/{contact_id}/tags", body={"tags": list(tags)})

    # --- custom fields -------------------------------------------------------------------------

    async def list_custom_fields(self) -> list[CustomFieldInfo]:
        """The location's contact custom fields."""
        parsed = await self._call(
            "GET", f"/locations/{self.location_id}/customFields", params={"model": "contact"}
        )
        items = parsed.get("customFields", []) if isinstance(parsed, dict) else []
        return [
            CustomFieldInfo(str(item["id"]), str(item["name"]), str(item.get("dataType", "")))
            for item in items
            if isinstance(item, dict) and "id" in item and "name" in item
        ]

    async def create_custom_field(self, name: str, data_type: str) -> CustomFieldInfo:
        """Create a contact custom field."""
        parsed = await self._call(
            "POST",
            f"/locations/{self.location_id}/customFields",
            body={"name": name, "dataType": data_type, "model": "contact"},
        )
        field = parsed.get("customField") if isinstance(parsed, dict) else None
        if not isinstance(field, dict) or "id" not in field:
            raise GhlUnavailable("custom field created without an id in the answer")
        return CustomFieldInfo(str(field["id"]), str(field.get("name", name)), data_type)
