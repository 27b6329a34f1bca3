"""Requests to and responses from ch-gateway, the only Companies House REST client.

Requests go to ``chgw.requests.<priority>`` (a work-queue stream); responses are facts on
``chgw.responses.<kind>`` that any interested service may consume, correlated by ``request_id``.
"""

from __future__ import annotations

import datetime as dt
import enum

import msgspec

from leadpipe_contracts._base import Event

NO_BODY = msgspec.Raw(b"null")


class Priority(enum.StrEnum):
    """Gateway priorities, served strictly in this order."""

    HIGH = "high"  # triggered by the live stream
    NORMAL = "normal"  # on demand from query-api
    LOW = "low"  # backfills and re-checks


class RequestKind(enum.StrEnum):
    """What the gateway fetches."""

    COMPANY_PROFILE = "company_profile"  # GET /company/{n}
    OFFICER_LIST = "officer_list"  # GET /company/{n}/officers, every page, 100 per page
    GET = "get"  # any other path under the public API


class ResponseStatus(enum.StrEnum):
    """Outcome of a gateway request."""

    OK = "ok"
    NOT_FOUND = "not_found"
    FAILED = "failed"


class GatewayRequest(Event, frozen=True, kw_only=True, tag="chgw.request.v1"):
    """Ask the gateway to fetch one resource.

    Attributes:
        request_id: Correlates the response; also the request's de-duplication key.
        requester: Name of the asking service (for metrics and routing of failures).
        company_number: For company_profile / officer_list.
        path: For kind ``get``: a path under the public API, e.g. ``/company/123/charges``.
    """

    request_id: str
    kind: RequestKind
    priority: Priority
    requester: str
    company_number: str | None = None
    path: str | None = None


class GatewayResponse(Event, frozen=True, kw_only=True, tag="chgw.response.v1"):
    """The gateway's answer to one request (possibly shared by coalesced duplicates).

    Attributes:
        body: The upstream JSON, forwarded undecoded (``null`` when there is none). For officer
            lists it is the first page's document with ``items`` holding every item of every
            page. Consumers decode it into their own narrow view structs.
        calls: Upstream calls this response cost (pages and retries included).
        reason: Why it failed (status ``failed``), in words fit for an operator.
    """

    request_id: str
    kind: RequestKind
    status: ResponseStatus
    company_number: str | None = None
    path: str | None = None
    etag: str | None = None
    body: msgspec.Raw = msgspec.field(default_factory=lambda: NO_BODY)
    reason: str | None = None
    upstream_status: int | None = None
    calls: int = 0
    fetched_at: dt.datetime | None = None

    @property
    def has_body(self) -> bool:
        """Whether an upstream document came with the response."""
        return bytes(self.body) not in (b"", b"null")


GatewayEvent = GatewayRequest | GatewayResponse
