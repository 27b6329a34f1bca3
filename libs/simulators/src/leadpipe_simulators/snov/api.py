"""The simulated Snov.io HTTP API: routes, authentication, rate limiting and error envelopes.

Request pipeline (simulator control calls under /_sim/ skip all of it):

1. unknown path or method → 404 ``{"errors": {"code": 404, "title": "Sorry, but url or entity not
   found", "source": ""}}``;
2. injected latency, then an injected 5xx burst (``{"success": false, "errors": [<reason>]}``);
3. authentication, except on the token endpoint: the token is read from ``Authorization: Bearer
   <token>``, from a bare ``Authorization: <token>`` (the get-balance doc example) or from an
   ``access_token`` parameter (v1 doc examples); missing, unknown or expired → 401
   ``{"success": false, "errors": ["Unauthenticated."]}`` (body undocumented upstream);
4. the per-client window, 60 requests per rolling 60 s by default → 429
   ``{"success": false, "errors": ["Too many requests: limit is 60 per 60 seconds."]}`` with no
   X-RateLimit-* or Retry-After header (none is documented). The token endpoint counts too, against
   the client_id whose credentials it checked; rejected requests do not use up the window;
5. the handler.

Token endpoint errors follow OAuth2 (RFC 6749 §5.2), the vendor's grant being plain
client_credentials: wrong grant → 400 ``unsupported_grant_type``, missing credentials → 400
``invalid_request``, wrong credentials → 401 ``invalid_client``.

Start calls answer 200. Input errors answer 400 in the operation-failure envelope. A /result call
for an unknown task, or another account's task, answers the 404 envelope. The e-mail start call
reads a JSON body only (the vendor documents JSON for it); the company-domain start call reads
query parameters, form or JSON.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any

import yarl
from aiohttp import web
from aiohttp.typedefs import Handler

from leadpipe_simulators._common.clock import SimClock
from leadpipe_simulators._common.faults import HttpFaults
from leadpipe_simulators._common.http import ApiError, json_response
from leadpipe_simulators._common.request_log import RequestLog, RequestRecord
from leadpipe_simulators._common.server import is_admin_path
from leadpipe_simulators.snov.accounts import Account
from leadpipe_simulators.snov.engine import SnovEngine
from leadpipe_simulators.snov.params import Params, failure, request_params
from leadpipe_simulators.snov.tasks import EmailRow, TaskType

OAUTH_PATH = "/v1/oauth/access_token"
BATCH_LIMIT = 10

NOT_FOUND_BODY = {
    "errors": {"code": 404, "title": "Sorry, but url or entity not found", "source": ""}
}

_ACCOUNT_KEY = web.RequestKey("snov_account", Account)


def _oauth_error(status: int, error: str, description: str) -> ApiError:
    return ApiError(
        status, {"error": error, "error_description": description, "message": description}
    )


class SnovApi:
    """Handlers and middleware of the public API, bound to one engine."""

    def __init__(
        self, engine: SnovEngine, clock: SimClock, faults: HttpFaults, log: RequestLog
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._faults = faults
        self._log = log

    def install(self, app: web.Application) -> None:
        """Add the middleware and routes to ``app``."""
        app.middlewares.append(self._middleware)
        app.router.add_post(OAUTH_PATH, self._token)
        app.router.add_get("/v1/get-balance", self._balance)
        app.router.add_post("/v2/company-domain-by-name/start", self._start_domain)
        app.router.add_get("/v2/company-domain-by-name/result", self._domain_result)
        app.router.add_post("/v2/emails-by-domain-by-name/start", self._start_emails)
        app.router.add_get("/v2/emails-by-domain-by-name/result", self._emails_result)

    # --- pipeline ----------------------------------------------------------------------------

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
            response = json_response(error.body, error.status, error.headers)
        account = request.get(_ACCOUNT_KEY)
        self._log.append(
            RequestRecord(
                self._clock.now(),
                request.method,
                request.path,
                request.query_string,
                response.status,
                account.client_id if account else None,
            )
        )
        return response

    async def _serve(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.match_info.http_exception is not None:
            raise ApiError(404, NOT_FOUND_BODY)
        if self._faults.latency > 0:
            await asyncio.sleep(self._faults.latency)
        if (status := self._faults.take_failure()) is not None:
            raise failure(status, HTTPStatus(status).phrase)
        if request.path != OAUTH_PATH:
            account = self._engine.authenticate(await self._token_of(request))
            if account is None:
                raise failure(401, "Unauthenticated.")
            request[_ACCOUNT_KEY] = account
            self._check_rate(account.client_id)
        return await handler(request)

    def _check_rate(self, client_id: str) -> None:
        if not self._engine.allow_request(client_id):
            config = self._engine.config
            raise failure(
                429,
                f"Too many requests: limit is {config.rate_limit} per "
                f"{config.rate_window:g} seconds.",
            )

    async def _token_of(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization", "").strip()
        if header:
            scheme, _, value = header.partition(" ")
            if not value:
                return scheme
            if scheme.lower() == "bearer":
                return value.strip()
            return None
        token = (await request_params(request)).get("access_token")
        return token if isinstance(token, str) else None

    @staticmethod
    def _account(request: web.Request) -> Account:
        return request[_ACCOUNT_KEY]

    # --- token and balance -------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        params = await request_params(request)
        grant_type = params.get("grant_type")
        client_id = params.get("client_id")
        client_secret = params.get("client_secret")
        if grant_type != "client_credentials":
            raise _oauth_error(
                400,
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            )
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            raise _oauth_error(
                400,
                "invalid_request",
                "The request is missing a required parameter: client_id and client_secret.",
            )
        account = self._engine.check_credentials(client_id, client_secret)
        if account is None:
            raise _oauth_error(401, "invalid_client", "Client authentication failed")
        request[_ACCOUNT_KEY] = account
        self._check_rate(account.client_id)
        issued = self._engine.issue_token(account)
        return json_response(
            {
                "access_token": issued.token,
                "token_type": "Bearer",
                "expires_in": round(issued.expires_at - self._clock.now()),
            }
        )

    async def _balance(self, request: web.Request) -> web.Response:
        return json_response(self._engine.balance_body(self._account(request)))

    # --- company name -> domain --------------------------------------------------------------

    async def _start_domain(self, request: web.Request) -> web.Response:
        params = await request_params(request)
        names = params.get_list("names")
        if not names:
            raise failure(400, "The names field is required.")
        if len(names) > BATCH_LIMIT:
            raise failure(400, f"The names may not have more than {BATCH_LIMIT} items.")
        bad = [i for i, n in enumerate(names) if not isinstance(n, str) or not n.strip()]
        if bad:
            raise failure(400, *(f"The names.{i} must be a non-empty string." for i in bad))
        task = self._engine.start_domain_task(
            self._account(request).client_id, names, _webhook_url(params)
        )
        return json_response(task.start_body())

    async def _domain_result(self, request: web.Request) -> web.Response:
        return self._result(request, TaskType.DOMAIN)

    # --- person + domain -> e-mails ----------------------------------------------------------

    async def _start_emails(self, request: web.Request) -> web.Response:
        params = await request_params(request)
        if params.json is None:
            raise failure(400, "The rows field is required (send a JSON body).")
        rows = _email_rows(params.json.get("rows"))
        task = self._engine.start_email_task(
            self._account(request).client_id, rows, _webhook_url(params)
        )
        return json_response(task.start_body())

    async def _emails_result(self, request: web.Request) -> web.Response:
        return self._result(request, TaskType.EMAILS)

    def _result(self, request: web.Request, task_type: TaskType) -> web.Response:
        task_hash = request.query.get("task_hash")
        if not task_hash:
            raise failure(400, "The task hash field is required.")
        task = self._engine.find_task(task_hash, task_type, self._account(request).client_id)
        if task is None:
            raise ApiError(404, NOT_FOUND_BODY)
        return json_response(task.result_body())


def _webhook_url(params: Params) -> str | None:
    value = params.get("webhook_url")
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            url = yarl.URL(value)
        except ValueError:
            url = None
        if url is not None and url.scheme in ("http", "https") and url.host:
            return value
    raise failure(400, "The webhook url format is invalid.")


def _email_rows(value: Any) -> list[EmailRow]:
    if not isinstance(value, list) or not value:
        raise failure(400, "The rows field is required.")
    if len(value) > BATCH_LIMIT:
        raise failure(400, f"The rows may not have more than {BATCH_LIMIT} items.")
    errors: list[str] = []
    rows: list[EmailRow] = []
    for index, row in enumerate(value):
        if not isinstance(row, dict):
            errors.append(f"The rows.{index} must be an object.")
            continue
        fields = {}
        for name in ("first_name", "last_name", "domain"):
            field_value = row.get(name)
            if not isinstance(field_value, str) or not field_value.strip():
                errors.append(f"The rows.{index}.{name} field is required.")
            else:
                fields[name] = field_value
        if len(fields) == 3:
            rows.append(EmailRow(fields["first_name"], fields["last_name"], fields["domain"]))
    if errors:
        raise failure(400, *errors)
    return rows
