"""The dashboard: one page and its script and style, shipped inside this package.

The page itself holds no data; everything it shows comes from the authenticated API (the
script logs in with ``POST /api/v1/auth/token`` and sends the token with every call). Charts
are SVG drawn on the server. Nothing is loaded from another origin.
"""

from __future__ import annotations

import importlib.resources

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

router = APIRouter(include_in_schema=False)

_FILES = importlib.resources.files("query_api.dashboard")
_STATIC = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
        " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _read(name: str) -> bytes:
    return (_FILES / name).read_bytes()


@router.get("/")
async def root() -> RedirectResponse:
    """The dashboard lives under /dashboard."""
    return RedirectResponse("/dashboard", status_code=307)


@router.get("/dashboard")
async def page() -> Response:
    """The dashboard page."""
    return Response(_read("index.html"), media_type="text/html; charset=utf-8",
                    headers=_SECURITY_HEADERS)  # fmt: skip


@router.get("/dashboard/static/{name}")
async def static(name: str) -> Response:
    """The dashboard's script and style sheet."""
    media_type = _STATIC.get(name)
    if media_type is None:
        return Response(status_code=404)
    return Response(_read(name), media_type=media_type, headers=_SECURITY_HEADERS)
