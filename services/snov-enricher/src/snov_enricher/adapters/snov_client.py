"""The Snov.io API client (the only one in Leadpipe): token, the two searches, balance.

- OAuth2 client-credentials token, cached and renewed ``renew_before`` seconds before it expires;
  a 401 on an API call drops the token and retries the call once with a new one.
- Every request, the token request included, first takes a slot from the shared ``Pacer``.
- Every request has a timeout. Responses are mapped to the error tree in ``errors``.
- Result bodies are returned as bytes; ``snov_enricher.results`` decodes them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
import msgspec

from leadpipe_bus.telemetry import Value
from leadpipe_runtime.tracing import client_span, record_status
from snov_enricher.adapters.errors import (
    SnovAuthError,
    SnovOutOfCreditsError,
    SnovPermanentError,
    SnovTransientError,
)
from snov_enricher.adapters.pacer import Pacer

log = logging.getLogger(__name__)

TOKEN_PATH = "/v1/oauth/access_token"  # noqa: S105 - a URL path, not a secret
BALANCE_PATH = "/v1/get-balance"
DOMAIN_START = "/v2/company-domain-by-name/start"
DOMAIN_RESULT = "/v2/company-domain-by-name/result"
EMAILS_START = "/v2/emails-by-domain-by-name/start"
EMAILS_RESULT = "/v2/emails-by-domain-by-name/result"
BATCH_LIMIT = 10


class _Token(msgspec.Struct):
    access_token: str
    expires_in: float = 3600.0


class _StartData(msgspec.Struct):
    task_hash: str


class _Start(msgspec.Struct):
    data: _StartData


class _BalanceData(msgspec.Struct):
    balance: str | float


class _Balance(msgspec.Struct):
    data: _BalanceData


def _out_of_credits(body: bytes) -> bool:
    return b"ran out of credits" in body.lower() or b"not_enough_credits" in body.lower()


class SnovClient:
    """Talks to ``base_url`` (the real API or a simulator).

    Args:
        base_url: ``https://api.snov.io`` or a compatible server.
        client_id / client_secret: API credentials.
        pacer: Shared request pacing.
        timeout: Seconds per request.
        renew_before: Renew the token this many seconds before it expires (capped at a tenth of
            its lifetime).
        clock: Monotonic seconds, for token expiry.
    """

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        pacer: Pacer,
        *,
        timeout: float = 30.0,
        renew_before: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._pacer = pacer
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._renew_before = renew_before
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self._token_renew_at = 0.0
        self.requests = 0

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        """Release the HTTP connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- transport ---------------------------------------------------------------------------

    async def _send(
        self, method: str, path: str, *, starts_task: bool = False, **kwargs: Any
    ) -> tuple[int, bytes]:
        await self._pacer.acquire()
        self.requests += 1
        try:
            with client_span(Value.SNOV, method, self._base, path) as span:
                async with self._http().request(method, self._base + path, **kwargs) as response:
                    record_status(span, response.status)
                    return response.status, await response.read()
        except aiohttp.ClientConnectorError as exc:
            raise SnovTransientError(f"{method} {path}: cannot connect: {exc}") from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            # The request may have been received and acted on before the failure.
            raise SnovTransientError(
                f"{method} {path}: {type(exc).__name__}: {exc}", maybe_started=starts_task
            ) from exc

    @staticmethod
    def _check(method: str, path: str, status: int, body: bytes) -> None:
        if 200 <= status < 300:
            return
        where = f"{method} {path} answered {status}"
        if status == 429 or status >= 500:
            raise SnovTransientError(where, status=status)
        if _out_of_credits(body):
            raise SnovOutOfCreditsError(where, status=status)
        if status in (401, 403):
            raise SnovAuthError(where, status=status)
        raise SnovPermanentError(f"{where}: {body[:300]!r}", status=status)

    async def _token_value(self) -> str:
        if self._token is not None and self._clock() < self._token_renew_at:
            return self._token
        status, body = await self._send(
            "POST",
            TOKEN_PATH,
            data={
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            },
        )
        self._check("POST", TOKEN_PATH, status, body)
        try:
            token = msgspec.json.decode(body, type=_Token)
        except msgspec.DecodeError as exc:
            raise SnovPermanentError(f"token response not understood: {exc}") from exc
        margin = min(self._renew_before, token.expires_in / 10)
        self._token = token.access_token
        self._token_renew_at = self._clock() + token.expires_in - margin
        return self._token

    async def _call(
        self, method: str, path: str, *, starts_task: bool = False, **kwargs: Any
    ) -> bytes:
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {await self._token_value()}"}
            status, body = await self._send(
                method, path, starts_task=starts_task, headers=headers, **kwargs
            )
            if status == 401 and attempt == 1:
                # Expired early or revoked: fetch a new token and try once more.
                self._token = None
                continue
            self._check(method, path, status, body)
            return body
        raise AssertionError("unreachable")

    @staticmethod
    def _task_hash(path: str, body: bytes) -> str:
        try:
            return msgspec.json.decode(body, type=_Start).data.task_hash
        except msgspec.DecodeError as exc:
            raise SnovPermanentError(f"{path}: start response not understood: {exc}") from exc

    # --- API ---------------------------------------------------------------------------------

    async def start_domain_search(self, names: Sequence[str], webhook_url: str | None) -> str:
        """Start a company-domain-by-name task for up to 10 names; returns its task hash."""
        if not 0 < len(names) <= BATCH_LIMIT:
            raise ValueError(f"1 to {BATCH_LIMIT} names per call, got {len(names)}")
        params: list[tuple[str, str]] = [("names[]", name) for name in names]
        if webhook_url:
            params.append(("webhook_url", webhook_url))
        body = await self._call("POST", DOMAIN_START, starts_task=True, params=params)
        return self._task_hash(DOMAIN_START, body)

    async def domain_result(self, task_hash: str) -> bytes:
        """The company-domain-by-name result body."""
        return await self._call("GET", DOMAIN_RESULT, params={"task_hash": task_hash})

    async def start_email_search(
        self, rows: Sequence[tuple[str, str, str]], webhook_url: str | None
    ) -> str:
        """Start an emails-by-domain-by-name task for up to 10 (first, last, domain) rows."""
        if not 0 < len(rows) <= BATCH_LIMIT:
            raise ValueError(f"1 to {BATCH_LIMIT} rows per call, got {len(rows)}")
        payload: dict[str, Any] = {
            "rows": [{"first_name": f, "last_name": last, "domain": d} for f, last, d in rows]
        }
        if webhook_url:
            payload["webhook_url"] = webhook_url
        body = await self._call("POST", EMAILS_START, starts_task=True, json=payload)
        return self._task_hash(EMAILS_START, body)

    async def email_result(self, task_hash: str) -> bytes:
        """The emails-by-domain-by-name result body."""
        return await self._call("GET", EMAILS_RESULT, params={"task_hash": task_hash})

    async def balance(self) -> float:
        """Credits left on the account (``get-balance`` is free)."""
        body = await self._call("GET", BALANCE_PATH)
        try:
            return float(msgspec.json.decode(body, type=_Balance).data.balance)
        except (msgspec.DecodeError, ValueError) as exc:
            raise SnovPermanentError(f"balance response not understood: {exc}") from exc
