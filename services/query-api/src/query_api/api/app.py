"""The FastAPI application: routers, error shapes, health, rate-limit headers and the audit log."""

from __future__ import annotations

import importlib.resources
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Lifespan, Message, Receive, Scope, Send

from leadpipe_runtime import Status
from query_api.api import dashboard, exports, feed, ops, privacy, read
from query_api.api.deps import ApiError, AppState, error_body
from query_api.ratelimit import Decision

log = logging.getLogger(__name__)

PUBLIC_PATHS = ("/healthz", "/readyz", "/docs", "/docs/assets", "/api/v1/openapi.json")
DOCS_ASSETS = "/docs/assets"
# Swagger UI's files as the fastapi-offline package ships them: the documentation page loads
# nothing from another host, so it works on a machine without internet access.
_SWAGGER_UI_FILES = importlib.resources.files("fastapi_offline") / "static"
_READ_METHODS = {"GET", "HEAD", "OPTIONS"}


class AccessMiddleware:
    """Adds ``RateLimit-*`` headers to every admitted (or refused) request and audits.

    Mutating calls (any method but GET/HEAD/OPTIONS) and exports under ``/api/v1`` are written to
    the audit log as their response starts — before the client sees it — with the caller, the
    path, the query and the status.
    """

    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        audited = path.startswith("/api/v1/") and (
            scope["method"] not in _READ_METHODS or path.startswith("/api/v1/exports/")
        )

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                request_state: dict[str, Any] = scope.get("state") or {}
                decision: Decision | None = request_state.get("ratelimit")
                if decision is not None:
                    headers = MutableHeaders(scope=message)
                    for name, value in decision.headers().items():
                        headers[name] = value
                if audited:
                    await self._audit(scope, message["status"], request_state)
            await send(message)

        await self.app(scope, receive, wrapped)

    async def _audit(self, scope: Scope, status: int, request_state: dict[str, Any]) -> None:
        principal = request_state.get("principal")
        client = scope.get("client")
        await self.state.access.audit(
            actor=principal.subject if principal else None,
            key_id=principal.key_id if principal else None,
            role=str(principal.role) if principal else None,
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1")[:2_000],
            status=status,
            client=client[0] if client else None,
        )


def create_app(state: AppState, lifespan: Lifespan[FastAPI] | None = None) -> FastAPI:
    """Build the application around its state.

    Args:
        state: What the routes use.
        lifespan: Set up and tear down around serving (used when the app runs on an event loop
            of its own, e.g. an in-process test client that must open its own pool).
    """
    app = FastAPI(
        lifespan=lifespan,
        title="Leadpipe query API",
        version="1.0.0",
        description=(
            "UK companies in proposal to strike off, their directors and e-mails. Every endpoint"
            " except /healthz, /readyz and the documentation needs an API key (``X-API-Key`` or"
            " ``Authorization: Bearer lp_…``) or an access token from ``POST /api/v1/auth/token``."
            " Responses carry ``RateLimit-*`` headers."
        ),
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.leadpipe = state
    for router in (
        read.router,
        ops.router,
        exports.router,
        feed.router,
        privacy.router,
        dashboard.router,
    ):
        app.include_router(router)
    app.add_middleware(AccessMiddleware, state=state)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.detail), exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""),
             "type": error.get("type", "")}
            for error in exc.errors()
        ]  # fmt: skip
        body = {"error": "invalid_request", "detail": "the request is not valid", "errors": errors}
        return JSONResponse(body, 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
        return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, headers=exc.headers)

    app.mount(DOCS_ASSETS, StaticFiles(directory=str(_SWAGGER_UI_FILES)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        """Swagger UI over this API's OpenAPI document, every asset served from here."""
        return get_swagger_ui_html(
            openapi_url="/api/v1/openapi.json",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            # Swagger UI would otherwise send the document to an online validator.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/healthz", tags=["health"], include_in_schema=True)
    async def healthz() -> Response:
        """Alive (no authentication)."""
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", tags=["health"], include_in_schema=True)
    async def readyz() -> Response:
        """Ready: the runtime's checks (NATS, Postgres, consumers) pass (no authentication)."""
        if state.health is None:
            ready = await state.db.ping()
            return JSONResponse({"status": "ok" if ready else "fail"}, 200 if ready else 503)
        results = await state.health.readiness()
        failed = any(result.status == Status.FAIL for result in results.values())
        body = {name: result.status.value for name, result in results.items()}
        return JSONResponse({"status": "fail" if failed else "ok", "checks": body},
                            503 if failed else 200)  # fmt: skip

    return app
