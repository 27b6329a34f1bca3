"""Business hours: parsing, opening and closing instants, daylight saving time."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadpipe_runtime import BusinessHours

LONDON = zoneinfo.ZoneInfo("Europe/London")
UTC = dt.UTC


def utc(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize("spec", ["", "  ", "always", "ALWAYS", "Mon-Sun 00:00-24:00"])
def test_empty_or_always_is_always_open(spec: str) -> None:
    hours = BusinessHours.parse(spec)
    assert hours.always
    assert hours.is_open(utc(2026, 11, 22, 3, 0))
    assert hours.next_change(utc(2026, 11, 22, 3, 0)) is None


def test_weekday_office_hours_in_london() -> None:
    hours = BusinessHours.parse("Mon-Fri 08:00-18:00 Europe/London")
    assert hours.days == frozenset(range(5))
    friday_evening = utc(2026, 11, 20, 18, 0)  # GMT: local 18:00
    assert hours.is_open(friday_evening - dt.timedelta(microseconds=1))
    assert not hours.is_open(friday_evening)
    assert hours.next_change(friday_evening) == utc(2026, 11, 23, 8, 0)
    assert hours.local(utc(2026, 11, 23, 8, 0)) == "2026-11-23 08:00 GMT"


def test_lists_several_ranges_and_wrapping_day_ranges() -> None:
    hours = BusinessHours.parse("fri-mon,wed 09:00-12:00,13:00-17:30 UTC")
    assert hours.days == frozenset({4, 5, 6, 0, 2})
    assert hours.ranges == ((540, 720), (780, 1050))
    wednesday = dt.date(2026, 11, 18)
    assert hours.is_open(utc(2026, 11, 18, 11, 59))
    assert not hours.is_open(utc(2026, 11, 18, 12, 30))
    assert hours.next_change(utc(2026, 11, 18, 12, 30)) == utc(2026, 11, 18, 13, 0)
    assert not hours.is_open(utc(2026, 11, 19, 10, 0))  # Thursday
    assert wednesday.weekday() == 2


def test_days_only_and_times_only() -> None:
    weekend = BusinessHours.parse("Saturday,Sun Europe/London")
    assert weekend.is_open(dt.datetime(2026, 11, 21, 0, 0, tzinfo=LONDON))
    assert weekend.next_change(utc(2026, 11, 21, 12, 0)) == utc(2026, 11, 23, 0, 0)
    nightly = BusinessHours.parse("00:00-06:00")
    assert nightly.zone is UTC
    assert nightly.next_change(utc(2026, 11, 22, 5, 0)) == utc(2026, 11, 22, 6, 0)


def test_hours_follow_daylight_saving_time_in_london() -> None:
    hours = BusinessHours.parse("Mon-Sun 08:00-18:00 Europe/London")
    # 29 March 2026: clocks go forward at 01:00 GMT; 08:00 BST is 07:00 UTC.
    assert hours.next_change(utc(2026, 3, 29, 2, 0)) == utc(2026, 3, 29, 7, 0)
    assert hours.next_change(utc(2026, 3, 29, 7, 0)) == utc(2026, 3, 29, 17, 0)
    # The day before is still GMT.
    assert hours.next_change(utc(2026, 3, 28, 2, 0)) == utc(2026, 3, 28, 8, 0)
    # 25 October 2026: clocks go back at 01:00 UTC; 08:00 GMT is 08:00 UTC again.
    assert hours.next_change(utc(2026, 10, 24, 20, 0)) == utc(2026, 10, 25, 8, 0)
    assert hours.next_change(utc(2026, 10, 24, 12, 0)) == utc(2026, 10, 24, 17, 0)


def test_hours_across_the_changed_hour_itself() -> None:
    night = BusinessHours.parse("Sun 00:00-03:00 Europe/London")
    # Spring: 00:00 GMT .. 03:00 BST is two real hours.
    assert night.next_change(utc(2026, 3, 29, 0, 0)) == utc(2026, 3, 29, 2, 0)
    # Autumn: 00:00 BST .. 03:00 GMT is four real hours.
    assert night.next_change(utc(2026, 10, 24, 23, 0)) == utc(2026, 10, 25, 3, 0)
    # A range lying wholly in the skipped hour never opens.
    skipped = BusinessHours.parse("Sun 01:00-02:00 Europe/London")
    assert not skipped.is_open(utc(2026, 3, 29, 1, 0))
    assert skipped.next_change(utc(2026, 3, 29, 0, 0)) == utc(2026, 4, 5, 0, 0)


def test_whole_days_join_across_midnight() -> None:
    hours = BusinessHours.parse("Mon-Fri Europe/London")
    assert hours.next_change(utc(2026, 11, 23, 12, 0)) == utc(2026, 11, 28, 0, 0)
    touching = BusinessHours.parse("Mon 08:00-12:00 12:00-18:00")
    assert touching.ranges == ((480, 1080),)


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("Mon-Fri 08:00-18:00 Europe/Nowhere", "unknown time zone 'Europe/Nowhere'"),
        ("Mon-Fry 08:00-18:00", "unknown day 'Fry'"),
        ("Mon 18:00-08:00", "must end after it starts"),
        ("Mon 08:00-08:00", "must end after it starts"),
        ("Mon 24:00-24:00", "invalid time 24:00"),
        ("Mon 08:61-09:00", "invalid time 08:61"),
        ("Mon 8am-6pm", "invalid time range '8am-6pm'"),
        ("Mon 08:00-18:00 Europe/London extra", "unexpected 'Europe/London'"),
        ("Mon,,Tue", "empty day"),
    ],
)
def test_bad_schedules_name_what_is_wrong(spec: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        BusinessHours.parse(spec)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        BusinessHours.parse("Mon 08:00-18:00").is_open(dt.datetime(2026, 1, 1))


SCHEDULES = [
    "Mon-Fri 08:00-18:00 Europe/London",
    "Sun 00:00-03:00 Europe/London",
    "Sun 01:00-02:00,01:30-04:00 Europe/London",
    "Mon,Wed,Sat 00:00-00:01,23:59-24:00 Europe/London",
    "Mon-Sat Europe/London",
    "Tue-Mon 01:00-24:00 America/New_York",
    "Fri-Mon 09:00-17:00 Australia/Lord_Howe",
]
INSTANTS = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(UTC)
)
MICROSECOND = dt.timedelta(microseconds=1)


@settings(max_examples=300, deadline=None)
@given(spec=st.sampled_from(SCHEDULES), at=INSTANTS)
def test_nothing_changes_before_the_next_change_and_something_changes_at_it(
    spec: str, at: dt.datetime
) -> None:
    hours = BusinessHours.parse(spec)
    change = hours.next_change(at)
    assert change is not None
    assert change > at
    assert hours.is_open(at) == hours.is_open(change - MICROSECOND)
    assert hours.is_open(at) != hours.is_open(change)


@settings(max_examples=100, deadline=None)
@given(
    at=st.datetimes(
        min_value=dt.datetime(2026, 3, 27),
        max_value=dt.datetime(2026, 3, 31),
        timezones=st.just(UTC),
    )
    | st.datetimes(
        min_value=dt.datetime(2026, 10, 23),
        max_value=dt.datetime(2026, 10, 27),
        timezones=st.just(UTC),
    )
)
def test_open_exactly_when_the_london_wall_clock_says_so(at: dt.datetime) -> None:
    hours = BusinessHours.parse("Mon-Sun 08:00-18:00 Europe/London")
    local = at.astimezone(LONDON)
    assert hours.is_open(at) == (8 <= local.hour < 18)
