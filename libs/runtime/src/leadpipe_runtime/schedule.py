"""Business hours: when a piece of work may run, from a setting such as ``Mon-Fri 08:00-18:00``.

A schedule string has up to three parts, separated by spaces, in any order except that the time
zone comes last:

- days: a comma-separated list of days and day ranges (``Mon-Fri``, ``Mon,Wed,Fri``,
  ``Fri-Mon``); default every day;
- times: one or more ``HH:MM-HH:MM`` ranges, comma- or space-separated
  (``08:00-12:00,13:00-18:00``); ``24:00`` may end a range; default the whole day;
- an IANA time zone (``Europe/London``); default UTC.

An empty string or ``always`` means always open. Times are local wall-clock times in the zone,
so a day's hours follow daylight saving time; a local time that does not exist (the hour skipped
in spring) is read with the offset in force before the change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zoneinfo

_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_WHOLE_DAY = ((0, 24 * 60),)
UTC = dt.UTC


def _day(name: str, spec: str) -> int:
    key = name.strip().lower()
    for index, day in enumerate(_DAYS):
        if len(key) >= 3 and day.startswith(key):
            return index
    raise ValueError(f"unknown day {name!r} in business hours {spec!r} (use Mon, Tue, … Sun)")


def _days(token: str, spec: str) -> frozenset[int]:
    chosen: set[int] = set()
    for part in token.split(","):
        if not part:
            raise ValueError(f"empty day in {token!r} in business hours {spec!r}")
        if "-" in part:
            first, _, last = part.partition("-")
            start, end = _day(first, spec), _day(last, spec)
            chosen.update((start + step) % 7 for step in range((end - start) % 7 + 1))
        else:
            chosen.add(_day(part, spec))
    return frozenset(chosen)


def _minutes(hours: str, minutes: str, spec: str, *, end: bool) -> int:
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > 24 * 60 or (value == 24 * 60 and not end):
        raise ValueError(f"invalid time {hours}:{minutes} in business hours {spec!r}")
    return value


def _ranges(token: str, spec: str) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for part in token.split(","):
        match = _TIME_RANGE.match(part)
        if match is None:
            raise ValueError(f"invalid time range {part!r} in business hours {spec!r}")
        start = _minutes(match[1], match[2], spec, end=False)
        stop = _minutes(match[3], match[4], spec, end=True)
        if stop <= start:
            raise ValueError(
                f"time range {part!r} in business hours {spec!r} must end after it starts"
                " (split a range across midnight into two days)"
            )
        found.append((start, stop))
    return found


def _merge(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, stop in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return tuple(merged)


@dataclasses.dataclass(frozen=True)
class BusinessHours:
    """Weekly opening hours in a time zone.

    Attributes:
        days: Open weekdays, Monday = 0.
        ranges: Open minutes of the day, ``(start, end)`` with end ≤ 1440, sorted and disjoint.
        zone: The zone the hours are read in.
    """

    days: frozenset[int] = frozenset(range(7))
    ranges: tuple[tuple[int, int], ...] = _WHOLE_DAY
    zone: dt.tzinfo = UTC

    @classmethod
    def parse(cls, spec: str) -> BusinessHours:
        """Read a schedule string (see the module docstring).

        Raises:
            ValueError: Naming the part that is wrong.
        """
        text = spec.strip()
        if text.lower() in ("", "always"):
            return cls()
        tokens = text.split()
        zone: dt.tzinfo = UTC
        days: frozenset[int] | None = None
        ranges: list[tuple[int, int]] = []
        for position, token in enumerate(tokens):
            if token[0].isdigit():
                ranges.extend(_ranges(token, spec))
            elif days is None and not ranges and token[0].isalpha() and "/" not in token:
                try:
                    days = _days(token, spec)
                except ValueError:
                    if position != len(tokens) - 1 or "," in token or "-" in token:
                        raise
                    zone = _zone(token, spec)
            elif position == len(tokens) - 1:
                zone = _zone(token, spec)
            else:
                raise ValueError(
                    f"unexpected {token!r} in business hours {spec!r}"
                    " (expected: days, time ranges, then a time zone)"
                )
        return cls(
            days=frozenset(range(7)) if days is None else days,
            ranges=_merge(ranges) if ranges else _WHOLE_DAY,
            zone=zone,
        )

    @property
    def always(self) -> bool:
        """Whether the schedule is open at every instant."""
        return len(self.days) == 7 and self.ranges == _WHOLE_DAY

    def _intervals(self, at: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
        """Open intervals (UTC, merged) from the day before ``at`` to eight days after it."""
        today = at.astimezone(self.zone).date()
        found: list[tuple[dt.datetime, dt.datetime]] = []
        for offset in range(-1, 9):
            day = today + dt.timedelta(days=offset)
            if day.weekday() not in self.days:
                continue
            for start, stop in self.ranges:
                opens, closes = self._instant(day, start), self._instant(day, stop)
                if closes > opens:
                    found.append((opens, closes))
        merged: list[tuple[dt.datetime, dt.datetime]] = []
        for opens, closes in sorted(found):
            if merged and opens <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
            else:
                merged.append((opens, closes))
        return merged

    def _instant(self, day: dt.date, minute: int) -> dt.datetime:
        day += dt.timedelta(days=minute // 1440)
        time = dt.time(hour=minute % 1440 // 60, minute=minute % 60)
        return dt.datetime.combine(day, time, tzinfo=self.zone).astimezone(UTC)

    def is_open(self, at: dt.datetime) -> bool:
        """Whether the schedule is open at ``at`` (an aware datetime)."""
        _require_aware(at)
        if self.always:
            return True
        return any(opens <= at < closes for opens, closes in self._intervals(at))

    def next_change(self, at: dt.datetime) -> dt.datetime | None:
        """When the schedule next opens (if closed at ``at``) or closes (if open), in UTC.

        None for a schedule that is always open.
        """
        _require_aware(at)
        if self.always:
            return None
        for opens, closes in self._intervals(at):
            if opens <= at < closes:
                return closes
            if opens > at:
                return opens
        raise AssertionError("a weekly schedule opens within eight days")  # pragma: no cover

    def local(self, at: dt.datetime) -> str:
        """``at`` as local time in the schedule's zone, for messages."""
        return at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M %Z")


def _zone(name: str, spec: str) -> dt.tzinfo:
    if name.upper() == "UTC":
        return UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} in business hours {spec!r}") from exc


def _require_aware(at: dt.datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"business hours need an aware datetime, got naive {at.isoformat()}")
