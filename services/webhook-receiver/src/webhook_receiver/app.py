"""The public HTTP endpoint: ``POST /webhooks/snov/{token}``.

Order of checks, each answering before any later work is done:

1. per-source-address rate limit → 429 (also slows token guessing);
2. token → 404 with the same body as an unknown route (nothing tells a forger why);
3. body size (``Content-Length`` first, then while reading) → 413;
4. JSON shape (lenient, see ``domain``) → 400 with msgspec's precise message;
5. durable store (JetStream PubAck) within the publish timeout → 200, else 503 so the sender
   retries. Nothing is acknowledged that is not stored.

Request logs carry the route, batch id, status, size and duration, never the token or the body.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry import trace
from opentelemetry.context import Context

from leadpipe_bus.telemetry import Attr, SpanName
from leadpipe_contracts import utcnow
from webhook_receiver import domain, tokens
from webhook_receiver.ports import PushStore, StoreUnavailable
from webhook_receiver.ratelimit import RateLimiter

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

NOT_FOUND = {"detail": "Not Found"}


class _TooLarge(Exception):
    pass


def _error(status: int, error: str, detail: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
    "required": ["error", "detail"],
}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_SCHEMA}}}


_PUSH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "Snov.io's per-task push; undocumented upstream, assumed to match the task's /result "
        "body. Only the members below are type-checked; others are accepted and forwarded."
    ),
    "properties": {
        "status": {"type": "string", "examples": ["completed"]},
        "data": {"type": "array", "items": {}},
        "meta": {
            "type": "object",
            "properties": {"task_hash": {"type": "string"}},
            "additionalProperties": True,
        },
    },
    "additionalProperties": True,
}


async def _read_limited(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    *,
    secret: str,
    store: PushStore,
    limiter: RateLimiter,
    max_body_bytes: int = 1_048_576,
    trust_forwarded_for: bool = False,
    clock: Callable[[], dt.datetime] = utcnow,
) -> FastAPI:
    """Build the application.

    Args:
        secret: The HMAC key tokens are checked with.
        store: Where accepted pushes go (JetStream in production).
        limiter: Per-source-address rate limit.
        max_body_bytes: Largest accepted body.
        trust_forwarded_for: Read the client address from ``X-Forwarded-For``.
        clock: Source of ``received_at``.
    """
    app = FastAPI(
        title="Leadpipe webhook-receiver",
        version="1.0.0",
        description=(
            "Receives Snov.io per-task result pushes. The URL token authenticates the batch; "
            "a push is acknowledged only after it is stored durably."
        ),
        # FastAPI's own request spans would continue an inbound traceparent; ``traced`` below
        # is the one server span, and it never does.
        telemetry={"tracing": False},
    )

    def client_address(request: Request) -> str:
        if trust_forwarded_for:
            forwarded = request.headers.get("x-forwarded-for", "")
            first = forwarded.split(",")[0].strip()
            if first:
                return first
        return request.client.host if request.client else "unknown"

    @app.middleware("http")
    async def access_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        log.info(
            "request",
            extra={
                "method": request.method,
                "route": getattr(route, "path", "unmatched"),
                "batch_id": request.scope.get("state", {}).get("batch_id"),
                "status": response.status_code,
                "request_bytes": request.headers.get("content-length"),
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return response

    @app.middleware("http")
    async def traced(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Outermost, so the access log line carries the trace id. A public endpoint: an inbound
        # traceparent is not trusted, every push starts a trace; snov-enricher links it to the
        # traces of the batch's items (see docs/operations.md).
        with tracer.start_as_current_span(
            SpanName.http(request.method, "unmatched"),
            context=Context(),
            kind=trace.SpanKind.SERVER,
            attributes={Attr.HTTP_METHOD: request.method},
            record_exception=False,
        ) as span:
            response = await call_next(request)
            route = getattr(request.scope.get("route"), "path", None)
            if route is not None:
                span.update_name(SpanName.http(request.method, route))
                span.set_attribute(Attr.HTTP_ROUTE, route)
            span.set_attribute(Attr.HTTP_STATUS, response.status_code)
            batch_id = request.scope.get("state", {}).get("batch_id")
            if batch_id:
                span.set_attribute(Attr.SNOV_BATCH_ID, batch_id)
            if response.status_code >= 500:
                span.set_status(trace.StatusCode.ERROR)
            return response

    @app.post(
        "/webhooks/snov/{token}",
        summary="Receive a Snov.io task push",
        responses={
            200: {
                "description": "Stored durably (or already stored): the sender may stop retrying.",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "status": {"type": "string", "enum": ["accepted"]},
                                "duplicate": {"type": "boolean"},
                            },
                            "required": ["status", "duplicate"],
                        }
                    }
                },
            },
            400: _error_response("The body is not JSON or has a member of the wrong type."),
            404: {"description": "Unknown or forged token (no detail is given)."},
            413: _error_response("The body is larger than 1 MiB."),
            429: _error_response("Too many requests from this address; see Retry-After."),
            503: _error_response("The push could not be stored now; retry later."),
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _PUSH_SCHEMA}},
            }
        },
    )
    async def receive_snov(token: str, request: Request) -> Response:
        allowed, wait = limiter.allow(client_address(request))
        if not allowed:
            return _error(
                429,
                "rate_limited",
                "too many requests from this address",
                {"Retry-After": str(max(1, math.ceil(wait)))},
            )
        batch_id = tokens.verify(token, secret)
        if batch_id is None:
            return JSONResponse(NOT_FOUND, status_code=404)
        request.scope.setdefault("state", {})["batch_id"] = batch_id
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
            return _error(413, "body_too_large", f"the body exceeds {max_body_bytes} bytes")
        try:
            body = await _read_limited(request, max_body_bytes)
        except _TooLarge:
            return _error(413, "body_too_large", f"the body exceeds {max_body_bytes} bytes")
        try:
            push = domain.parse_push(body)
        except domain.InvalidPush as exc:
            return _error(400, "invalid_body", str(exc))
        event = domain.received_event(batch_id, body, push, clock())
        try:
            stored = await store.store(event)
        except StoreUnavailable as exc:
            log.warning(
                "push not stored; answering 503", extra={"batch_id": batch_id, "error": str(exc)}
            )
            return _error(
                503,
                "unavailable",
                "the push could not be stored; retry later",
                {"Retry-After": "5"},
            )
        return JSONResponse({"status": "accepted", "duplicate": not stored})

    return app
