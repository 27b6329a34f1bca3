"""The dashboard in a real headless Chromium: sign in, charts, lead table, export, live feed."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from leadpipe_contracts.status import CreditStatus, GatewayStatus, StreamStatus
from query_api.adapters.access import AccessStore
from query_api.auth import Role
from query_api.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "dashboard-password-1"


def _install_chromium() -> str | None:
    """Debian's chromium, installed with apt when missing (never a browser download)."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt and os.geteuid() == 0:
        subprocess.run([apt, "update"], check=False, capture_output=True, timeout=300)
        subprocess.run(
            [apt, "install", "-y", "chromium"], check=False, capture_output=True, timeout=600
        )
    return CHROMIUM if Path(CHROMIUM).exists() else None


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    path = _install_chromium()
    if path is None:
        pytest.skip(
            "BROWSER TESTS SKIPPED: Debian chromium is not installed at /usr/bin/chromium and "
            "`apt-get install chromium` was not possible here (needs root and apt)"
        )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=path, headless=True, args=["--no-sandbox"]
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture(scope="module")
async def dashboard_data(
    access: AccessStore,
    publish: Callable[[Any], Any],
    settle: Callable[[], Any],
    events: Any,
) -> None:
    await access.add_user("dana", PASSWORD, Role.ANALYST)
    now = dt.datetime.now(dt.UTC)
    postcodes = ["M1 1AE", "SW1A 1AA", "EH1 1YZ", "LS1 4AP", "BS1 4ST", "CF10 1EP"]
    sics = [("43910",), ("10710",), ("70229",), ("62012",), ("56101",), ("47110",)]
    for index in range(30):
        number, name = f"0700{index:04d}", f"COMPANY {index:02d} TRADING LTD"
        await publish(
            events.observed(number, name, postcode=postcodes[index % 6], sic=sics[index % 6])
        )
        # Recent entries, so that the chart of the last 30 days has something to show.
        await publish(events.entered(number, name, at=now - dt.timedelta(hours=17 * index)))
        if index % 3 == 0:
            await publish(events.officers(number, [(f"d{index}", f"DIRECTOR, Number {index}")]))
            await publish(events.domain(number, name, f"company{index}.example"))
            await publish(
                events.contact(
                    number,
                    name,
                    f"d{index}",
                    "Number",
                    "Director",
                    f"d{index}@company{index}.example",
                    score=float(index),
                )
            )
    occurred = events.observed("07009999", "X").occurred_at
    await publish(
        StreamStatus(
            event_id="s1",
            occurred_at=occurred,
            stream="companies",
            state="connected",
            last_event_at=occurred,
        )
    )
    await publish(
        GatewayStatus(
            event_id="g1",
            occurred_at=occurred,
            limit=600,
            window_seconds=300,
            used_in_window=450,
            breaker="closed",
        )
    )
    await publish(
        CreditStatus(
            event_id="c1",
            occurred_at=occurred,
            period="2026-09",
            budget=5000,
            reserved=100,
            charged=1900,
            paused=False,
        )
    )
    await settle()


def _check_and_keep(shot: Path) -> None:
    """The screenshot is a real PNG of some size; a copy goes to LEADPIPE_SCREENSHOT_DIR."""
    assert shot.stat().st_size > 20_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if target := os.environ.get("LEADPIPE_SCREENSHOT_DIR"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / "dashboard.png")


async def sign_in(page: Page, base: str) -> None:
    await page.goto(base + "/dashboard")
    await expect(page.locator("#login-form")).to_be_visible()
    await page.fill("#username", "dana")
    await page.fill("#password", PASSWORD)
    await page.click("#login-button")
    await expect(page.locator("body[data-ready=true]")).to_have_count(1, timeout=15_000)


async def test_main_page_renders_charts_table_and_status_and_is_screenshotted(
    browser: Browser,
    settings: Settings,
    http: httpx.AsyncClient,
    dashboard_data: None,
    tmp_path: Path,
) -> None:
    base = f"http://127.0.0.1:{settings.http_port}"
    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    await page.goto(base + "/dashboard")
    await page.fill("#username", "dana")
    await page.fill("#password", "wrong-password")
    await page.click("#login-button")
    await expect(page.locator("#login-error")).to_contain_text("wrong password")

    await sign_in(page, base)
    await expect(page.locator("#whoami")).to_have_text("dana (analyst)")
    await expect(page.locator("#tiles .tile").first).to_contain_text("30")
    for chart in ("entries", "funnel", "sectors", "regions", "gauges"):
        await expect(page.locator(f"#chart-{chart} svg")).to_have_count(1)
    await expect(page.locator("#chart-gauges")).to_contain_text("75%")  # 450 of 600
    await expect(page.locator("#chart-regions")).to_contain_text("North West")
    await expect(page.locator("#streams tbody tr")).to_contain_text("connected")
    await expect(page.locator("#leads tbody tr")).to_have_count(25)
    await expect(page.locator("#live-state")).to_have_text("live")

    shot = tmp_path / "dashboard.png"
    await page.screenshot(path=str(shot), full_page=True)
    _check_and_keep(shot)
    assert all(url.startswith(base) for url in requests), "only the app's own origin is used"
    assert errors == []
    await page.close()


async def test_lead_table_filters_sorts_pages_and_exports(
    browser: Browser,
    settings: Settings,
    http: httpx.AsyncClient,
    dashboard_data: None,
    tmp_path: Path,
) -> None:
    base = f"http://127.0.0.1:{settings.http_port}"
    page = await browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    await sign_in(page, base)
    rows = page.locator("#leads tbody tr")

    await page.click("#next")
    await expect(page.locator("#page-label")).to_have_text("page 2")
    await expect(rows).to_have_count(5)
    await page.click("#prev")
    await expect(rows).to_have_count(25)

    await page.click("#leads th[data-sort=company_number]")
    await expect(rows.first).to_have_attribute("data-company", "07000029")
    await page.click("#leads th[data-sort=company_number]")
    await expect(rows.first).to_have_attribute("data-company", "07000000")

    await page.fill("#f-q", "company 03")
    await page.click("#filters button[type=submit]")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("COMPANY 03 TRADING LTD")
    await page.fill("#f-q", "")
    await page.select_option("#f-region", "North West")
    await page.check("#f-email")
    await page.click("#filters button[type=submit]")
    # Manchester postcodes are companies 0, 6, 12, 18 and 24, each of which has an e-mail.
    await expect(rows).to_have_count(5)
    async with page.expect_download() as download_info:
        await page.click(".exports button[data-format=csv]")
    download = await download_info.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    lines = saved.read_bytes().decode().splitlines()
    assert lines[0].startswith("company_number,company_name")
    assert len(lines) == 1 + 5
    await page.close()


async def test_live_feed_shows_new_strike_offs_without_a_reload(
    browser: Browser,
    settings: Settings,
    http: httpx.AsyncClient,
    dashboard_data: None,
    publish: Callable[[Any], Any],
    events: Any,
) -> None:
    base = f"http://127.0.0.1:{settings.http_port}"
    page = await browser.new_page()
    await sign_in(page, base)
    await expect(page.locator("#live-state")).to_have_text("live")
    await publish(
        events.entered("07777777", "BRAND NEW STRIKE OFF LTD", at=dt.datetime.now(dt.UTC))
    )
    await expect(page.locator("#feed li").first).to_contain_text(
        "BRAND NEW STRIKE OFF LTD", timeout=15_000
    )
    await page.close()
