"""Streams follow LEADPIPE_STREAM_HOURS: not connected while closed, cancelled at closing time."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable

import pytest

from leadpipe_runtime import BusinessHours, CheckResult, SettingsError, Status, load_settings
from leadpipe_testing import poll_until
from stream_ingest.hours import ScheduledStream
from stream_ingest.settings import Settings

HOURS = BusinessHours.parse("Mon-Fri 08:00-18:00 Europe/London")
MONDAY_OPENING = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)  # GMT
MONDAY_CLOSING = dt.datetime(2026, 11, 23, 18, 0, tzinfo=dt.UTC)


def clock_from(start: dt.datetime) -> Callable[[], dt.datetime]:
    """A wall clock that reads ``start`` now and runs at real speed."""
    began = time.monotonic()
    return lambda: start + dt.timedelta(seconds=time.monotonic() - began)


class FakeFollower:
    def __init__(self) -> None:
        self.starts = 0
        self.cancelled = 0

    async def run(self) -> None:
        self.starts += 1
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise

    async def check(self) -> CheckResult:
        return CheckResult(Status.OK, "connected")


async def test_closed_stream_waits_for_opening_time_and_reports_ok_closed() -> None:
    follower = FakeFollower()
    clock = clock_from(MONDAY_OPENING - dt.timedelta(seconds=0.3))
    scheduled = ScheduledStream("companies", HOURS, follower.run, follower.check, clock=clock)
    task = asyncio.create_task(scheduled.run())
    try:
        await asyncio.sleep(0.05)
        assert follower.starts == 0
        assert await scheduled.check() == CheckResult(
            Status.OK, "closed until 2026-11-23 08:00 GMT"
        )
        await poll_until(lambda: follower.starts == 1, timeout=5, message="opened")
        assert await scheduled.check() == CheckResult(Status.OK, "connected")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_open_stream_is_disconnected_at_closing_time() -> None:
    follower = FakeFollower()
    clock = clock_from(MONDAY_CLOSING - dt.timedelta(seconds=1.2))
    scheduled = ScheduledStream("companies", HOURS, follower.run, follower.check, clock=clock)
    task = asyncio.create_task(scheduled.run())
    try:
        await poll_until(lambda: follower.starts == 1, timeout=5, message="connected")
        await poll_until(lambda: follower.cancelled == 1, timeout=5, message="closed")
        assert scheduled.closed_until == dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
        detail = (await scheduled.check()).detail
        assert detail == "closed until 2026-11-24 08:00 GMT"
        assert follower.starts == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_an_error_of_the_stream_itself_is_not_taken_for_closing_time() -> None:
    async def failing() -> None:
        raise TimeoutError("not ours")

    clock = clock_from(MONDAY_OPENING + dt.timedelta(hours=1))
    scheduled = ScheduledStream("companies", HOURS, failing, FakeFollower().check, clock=clock)
    with pytest.raises(TimeoutError, match="not ours"):
        await scheduled.run()


def test_stream_hours_setting_is_validated() -> None:
    assert load_settings(Settings, {}).stream_hours == ""
    settings = load_settings(Settings, {"LEADPIPE_STREAM_HOURS": "Mon-Fri 08:00-18:00 UTC"})
    assert settings.stream_hours == "Mon-Fri 08:00-18:00 UTC"
    with pytest.raises(SettingsError, match="LEADPIPE_STREAM_HOURS: unknown day 'Mun'"):
        load_settings(Settings, {"LEADPIPE_STREAM_HOURS": "Mun-Fri 08:00-18:00"})
