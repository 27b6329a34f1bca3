"""Pure request logic: what a request asks for, whether it is well formed, which upstream
calls answer it, and how officer-list pages are joined into one document.

Requests are decoded leniently (``RequestView``: the kind is a plain string) so that a request
of a kind this gateway does not know still gets a ``failed`` response rather than vanishing
into the dead letters; anything malformed is answered without calling Companies House.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

import msgspec

from leadpipe_contracts.gateway import Priority, RequestKind

ITEMS_PER_PAGE = 100
_COMPANY_NUMBER = re.compile(r"[0-9]{8}|[A-Z]{2}[0-9]{6}")
# A path under the public API: plain segments, an optional simple query string.
_PATH = re.compile(r"/[A-Za-z0-9_\-]+(?:/[A-Za-z0-9_\-.]+)*(?:\?[A-Za-z0-9_\-.=&%]*)?")
RANK = {Priority.HIGH: 0, Priority.NORMAL: 1, Priority.LOW: 2}


class RequestView(msgspec.Struct, frozen=True, kw_only=True):
    """A ``GatewayRequest`` as the gateway reads it: unknown kinds decode, then get refused."""

    event_id: str = ""
    request_id: str
    kind: str
    requester: str = ""
    company_number: str | None = None
    path: str | None = None
    correlation_id: str | None = None


class Invalid(Exception):
    """A request that can never be served; the message is the response's reason."""


@dataclasses.dataclass(frozen=True)
class Target:
    """What one request fetches, and the key duplicates are coalesced by."""

    kind: RequestKind
    company_number: str | None
    path: str

    @property
    def key(self) -> tuple[str, str]:
        """Two pending requests with the same key are answered by the same calls."""
        return (self.kind.value, self.path)


def normalise_company_number(raw: str | None) -> str:
    """Upper-case and check the documented 8-character shape (A.3).

    Raises:
        Invalid: Missing or not 8 digits / 2 letters + 6 digits.
    """
    if raw is None or not raw.strip():
        raise Invalid("company_number is required for this kind of request")
    number = raw.strip().upper()
    if _COMPANY_NUMBER.fullmatch(number) is None:
        raise Invalid(
            f"malformed company number {raw[:32]!r}: expected 8 digits or 2 letters + 6 digits"
        )
    return number


def target_of(request: RequestView) -> Target:
    """Validate a request and say what it fetches.

    Raises:
        Invalid: Unknown kind, bad company number or a path outside the public API.
    """
    try:
        kind = RequestKind(request.kind)
    except ValueError:
        known = ", ".join(k.value for k in RequestKind)
        raise Invalid(f"unknown request kind {request.kind[:40]!r} (known: {known})") from None
    if not request.request_id:
        raise Invalid("request_id is empty")
    if kind is RequestKind.COMPANY_PROFILE:
        number = normalise_company_number(request.company_number)
        return Target(kind, number, f"/company/{number}")
    if kind is RequestKind.OFFICER_LIST:
        number = normalise_company_number(request.company_number)
        return Target(kind, number, f"/company/{number}/officers")
    path = (request.path or "").strip()
    if not path or len(path) > 512 or _PATH.fullmatch(path) is None or "/../" in path + "/":
        raise Invalid(f"path {path[:80]!r} is not a path under the public API")
    return Target(kind, request.company_number, path)


def page_params(target: Target, start_index: int) -> dict[str, str]:
    """Query parameters of one call for ``target`` (officer lists page 100 at a time)."""
    if target.kind is RequestKind.OFFICER_LIST:
        return {"items_per_page": str(ITEMS_PER_PAGE), "start_index": str(start_index)}
    return {}


class _OfficerPage(msgspec.Struct, kw_only=True):
    items: list[msgspec.Raw] = msgspec.field(default_factory=list)
    total_results: int = 0
    etag: str | None = None


class _Document(msgspec.Struct, kw_only=True):
    etag: str | None = None


_page_decoder = msgspec.json.Decoder(_OfficerPage)
_members_decoder = msgspec.json.Decoder(dict[str, msgspec.Raw])
_document_decoder = msgspec.json.Decoder(_Document)
_encoder = msgspec.json.Encoder()


class MalformedUpstream(Exception):
    """Companies House sent a body that is not the JSON it documents."""


def document_etag(body: bytes, headers: Mapping[str, str]) -> str | None:
    """Validate a JSON object body and return its ``etag`` member (or the ETag header).

    Raises:
        MalformedUpstream: Not a JSON object.
    """
    try:
        etag = _document_decoder.decode(body).etag
    except msgspec.DecodeError as exc:
        raise MalformedUpstream(f"malformed JSON from Companies House: {exc}") from None
    if etag is None:
        header = next((v for k, v in headers.items() if k.lower() == "etag"), None)
        etag = header.strip().strip('"') if header else None
    return etag


@dataclasses.dataclass
class OfficerPages:
    """Accumulates officer-list pages: ``start_index`` paging until ``total_results``.

    Attributes:
        next_start: ``start_index`` of the next call, or None when the list is complete.
    """

    first: dict[str, msgspec.Raw] | None = None
    items: list[msgspec.Raw] = dataclasses.field(default_factory=list)
    etag: str | None = None
    next_start: int | None = 0

    def add(self, body: bytes) -> None:
        """Add one page (A.4 loop: continue while start < total and the page was not empty).

        Raises:
            MalformedUpstream: The page is not an officer list.
        """
        try:
            page = _page_decoder.decode(body)
            members = _members_decoder.decode(body) if self.first is None else None
        except msgspec.DecodeError as exc:
            raise MalformedUpstream(f"malformed officer list from Companies House: {exc}") from None
        if members is not None:
            self.first = members
            self.etag = page.etag
        self.items.extend(page.items)
        start = len(self.items)
        self.next_start = start if page.items and start < page.total_results else None

    def document(self) -> bytes:
        """The first page's document with ``items`` holding every item of every page."""
        members = dict(self.first or {})
        members["items"] = msgspec.Raw(_encoder.encode(self.items))
        return _encoder.encode(members)
