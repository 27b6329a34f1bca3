"""Exports' encoders, SVG charts, webhook signatures and settings validation."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator

import pytest

from leadpipe_runtime import Secret
from query_api import charts, exports, webhooks
from query_api.adapters import readmodel
from query_api.settings import Settings


def test_csv_cells_are_rendered_by_sql_that_defuses_formulas() -> None:
    text = readmodel.csv_cell("co.company_name", "text")
    assert text.startswith("CASE WHEN ascii(co.company_name) IN (61, 43, 45, 64, 9, 13) ")
    assert [chr(code) for code in (61, 43, 45, 64, 9, 13)] == ["=", "+", "-", "@", "\t", "\r"]
    assert "THEN '''' || co.company_name ELSE co.company_name END" in text
    assert "array_to_string(co.sic_codes, ';')" in readmodel.csv_cell("co.sic_codes", "array")
    assert readmodel.csv_cell("co.lead_score", "number") == "co.lead_score"
    assert "'true'" in readmodel.csv_cell("co.strike_off", "bool")


def test_json_lines_have_one_object_per_row() -> None:
    data = exports.encode_jsonl(["n", "d"], [("1", dt.date(2026, 1, 2)), ("2", None)])
    assert [json.loads(line) for line in data.splitlines()] == [
        {"n": "1", "d": "2026-01-02"},
        {"n": "2", "d": None},
    ]


def test_charts_escape_data_and_are_valid_svg() -> None:
    svg = charts.bar_chart("Regions", [("<script>alert(1)</script>", 3), ("London", 7)])
    root = ET.fromstring(  # noqa: S314 - our own output
        svg
    )
    assert root.tag.endswith("svg")
    assert "<script>" not in svg
    days = charts.entries_chart(
        [{"period": dt.date(2026, 9, 3), "entered": 4, "left": 1}], dt.date(2026, 9, 5), 7
    )
    ET.fromstring(  # noqa: S314 - our own output
        days
    )
    assert "2026-09-03: 4 entered" in days
    gauges = charts.gauges(
        {"charged": 400, "reserved": 100, "budget": 1000, "paused": True},
        {"used_in_window": 300, "limit": 600, "window_seconds": 300, "breaker": "open"},
    )
    ET.fromstring(  # noqa: S314 - our own output
        gauges
    )
    assert "50%" in gauges
    assert "(paused)" in gauges
    ET.fromstring(  # noqa: S314 - our own output
        charts.gauges(None, None)
    )


def test_webhook_signatures_verify_and_reject_tampering_and_staleness() -> None:
    body = b'{"id":"e1"}'
    header = webhooks.sign("s3cret", int(time.time()), body)
    assert webhooks.verify("s3cret", header, body)
    assert not webhooks.verify("s3cret", header, body + b" ")
    assert not webhooks.verify("other", header, body)
    assert not webhooks.verify("s3cret", webhooks.sign("s3cret", 1, body), body)
    assert not webhooks.verify("s3cret", "garbage", body)


def test_webhook_retries_double_up_to_an_hour() -> None:
    assert [webhooks.retry_delay(n, 5.0) for n in (1, 2, 3)] == [5.0, 10.0, 20.0]
    assert webhooks.retry_delay(40, 5.0) == 3_600.0


def test_settings_refuse_a_short_signing_key() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Settings(jwt_secret=Secret("short"))
    assert Settings(jwt_secret=Secret("x" * 32)).http_port == 8000


async def test_an_export_body_starts_while_its_rows_are_counted_and_stops_if_counting_fails() -> (
    None
):
    events: list[str] = []

    async def body() -> AsyncIterator[bytes]:
        try:
            events.append("body started")
            yield b"header\n"
            yield b"row\n"
        finally:
            events.append("body closed")

    async def count() -> int:
        await asyncio.sleep(0)
        events.append("counted")
        return 1

    total, chunks = await exports.alongside(count(), body())
    assert total == 1
    assert events == ["body started", "counted"]
    assert [chunk async for chunk in chunks] == [b"header\n", b"row\n"]

    async def failing() -> int:
        await asyncio.sleep(0)
        raise RuntimeError("count failed")

    events.clear()
    with pytest.raises(RuntimeError, match="count failed"):
        await exports.alongside(failing(), body())
    assert events == ["body started", "body closed"]
