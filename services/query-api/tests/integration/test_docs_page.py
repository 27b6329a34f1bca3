"""/docs serves Swagger UI entirely from query-api itself: nothing is loaded from another host."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Request, Route, async_playwright, expect

from query_api.settings import Settings

pytestmark = pytest.mark.integration

CHROMIUM = "/usr/bin/chromium"
# Any absolute or scheme-relative URL: the page must name no host at all.
_ABSOLUTE = re.compile(r"""(?:[a-z][a-z0-9+.-]*:)?//[^\s"'<>]+""", re.IGNORECASE)
_REFERENCES = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*["']([^"']+)["']""")


async def test_docs_page_references_no_external_host_and_every_asset_is_served_here(
    http: httpx.AsyncClient,
) -> None:
    page = await http.get("/docs")
    assert page.status_code == 200
    html = page.text
    assert _ABSOLUTE.findall(html) == [], "the page names another host"
    assert '"validatorUrl": null' in html, "Swagger UI would post the document to a validator"
    references = [a or b for a, b in _REFERENCES.findall(html)]
    assert {urlsplit(ref).path.rsplit(".", 1)[-1] for ref in references} >= {"css", "js", "json"}
    for reference in references:
        response = await http.get(reference)  # no API key: the documentation is public
        assert response.status_code == 200, reference
        assert response.content, reference
    bundle = (await http.get("/docs/assets/swagger-ui-bundle.js")).text
    document = (await http.get("/api/v1/openapi.json")).json()
    # FastAPI writes OpenAPI 3.1, which only Swagger UI 5 and later can render.
    assert document["openapi"].startswith("3.1")
    assert "isOAS31" in bundle, "the bundled Swagger UI cannot render OpenAPI 3.1"


def _chromium_installed() -> bool:
    return Path(CHROMIUM).exists()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not _chromium_installed():
        pytest.skip(
            "BROWSER TEST SKIPPED: Debian chromium is not installed at /usr/bin/chromium"
            " (test_dashboard.py installs it with apt when it can)"
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.mark.browser
async def test_swagger_ui_renders_the_api_with_every_other_host_unreachable(
    browser: Browser, settings: Settings
) -> None:
    base = f"http://127.0.0.1:{settings.http_port}"
    elsewhere: list[str] = []

    async def only_here(route: Route, request: Request) -> None:
        if urlsplit(request.url).netloc == urlsplit(base).netloc:
            await route.continue_()
        else:
            elsewhere.append(request.url)
            await route.abort()

    context = await browser.new_context()
    try:
        await context.route("**/*", only_here)
        page = await context.new_page()
        await page.goto(f"{base}/docs")
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text(
            "Leadpipe query API", timeout=20_000
        )
        await expect(page.locator(".opblock-summary-path").first).to_be_visible()
        paths = await page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/api/v1/privacy/erasures" in path for path in paths)
    finally:
        await context.close()
    assert elsewhere == [], "the documentation page reached another host"
