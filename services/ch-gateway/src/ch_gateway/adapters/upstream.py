"""The Companies House REST client: HTTP Basic with the key, a timeout on every call.

Errors are split by what the caller should do (httpx-style): a ``Reply`` is any HTTP answer,
whatever its status; ``TransportFailure`` means no answer arrived (timeout, refused or dropped
connection) and the call may be retried.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Mapping
from typing import Protocol

import aiohttp

from leadpipe_bus.telemetry import Value
from leadpipe_runtime import Secret
from leadpipe_runtime.tracing import client_span, record_status

_KEPT_HEADERS = (
    "etag",
    "x-ratelimit-limit",
    "x-ratelimit-remain",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-window",
    "retry-after",
)
MAX_BODY = 16 * 1024 * 1024
_COMPANY_SEGMENT = re.compile(r"^/company/[^/]+")


def route_of(path: str) -> str:
    """The path as a template (the company number becomes ``{company_number}``)."""
    return _COMPANY_SEGMENT.sub("/company/{company_number}", path)


@dataclasses.dataclass(frozen=True)
class Reply:
    """An HTTP answer from Companies House.

    Attributes:
        headers: The rate-limit and ETag headers, names lower-cased.
    """

    status: int
    headers: Mapping[str, str]
    body: bytes


class TransportFailure(Exception):
    """No answer: timeout, connection refused or dropped. Safe to retry later."""


class Upstream(Protocol):
    """What the gateway needs from Companies House."""

    async def get(self, path: str, params: Mapping[str, str]) -> Reply:
        """GET ``path`` with ``params``.

        Raises:
            TransportFailure: No HTTP answer arrived in time.
        """
        ...


class CompaniesHouseClient:
    """``Upstream`` over aiohttp.

    Args:
        base_url: ``LEADPIPE_CH_API_URL``.
        key: ``LEADPIPE_CH_API_KEY``; the Basic-auth username, password empty.
        timeout: Total seconds one call may take.
        connections: Connection pool size.
    """

    def __init__(self, base_url: str, key: Secret, *, timeout: float, connections: int) -> None:
        self._base = base_url.rstrip("/")
        # Basic auth built by hand: "<key>:" (the trailing colon is the empty password).
        token = base64.b64encode(f"{key.reveal()}:".encode()).decode("ascii")
        self._headers = {"Accept": "application/json", "Authorization": f"Basic {token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                headers=self._headers,
                connector=aiohttp.TCPConnector(limit=self._connections),
                raise_for_status=False,
            )
        return self._session

    async def get(self, path: str, params: Mapping[str, str]) -> Reply:
        """See ``Upstream.get``."""
        session = self._open()
        try:
            with client_span(Value.COMPANIES_HOUSE, "GET", self._base, route_of(path)) as span:
                async with session.get(self._base + path, params=dict(params) or None) as response:
                    record_status(span, response.status)
                    body = await response.content.read(MAX_BODY)
                    headers = {
                        name: value
                        for name in _KEPT_HEADERS
                        if (value := response.headers.get(name)) is not None
                    }
                    return Reply(response.status, headers, body)
        except TimeoutError as exc:
            raise TransportFailure(f"timed out after {self._timeout.total}s") from exc
        except aiohttp.ClientError as exc:
            raise TransportFailure(f"{type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None
