"""Replay start times: ISO 8601 or relative."""

from __future__ import annotations

import datetime as dt

import pytest

from leadpipe_cli.replay_cmd import parse_since

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", NOW - dt.timedelta(hours=2)),
        ("30m", NOW - dt.timedelta(minutes=30)),
        ("7d", NOW - dt.timedelta(days=7)),
        ("2026-11-20T08:00:00", dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC)),
        ("2026-11-20T08:00:00+01:00", dt.datetime(2026, 11, 20, 7, tzinfo=dt.UTC)),
    ],
)
def test_since_accepts_iso_and_relative_times(text: str, expected: dt.datetime) -> None:
    assert parse_since(text, NOW) == expected


def test_since_rejects_anything_else_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="neither an ISO 8601 time nor like 30m"):
        parse_since("yesterday", NOW)
