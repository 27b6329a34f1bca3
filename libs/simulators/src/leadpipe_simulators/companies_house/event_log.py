"""The retained history of one stream, stored as pre-encoded NDJSON lines.

Lines live in large contiguous segments with an offset index, so replaying a backlog is a few
big slices (hundreds of kilobytes per write) rather than one write per event; that is what lets
a 200,000-event backlog be served at the speed of the client. History is bounded by a count of
events (``retention``); asking for anything older is answered 416 by the server.
"""

from __future__ import annotations

import asyncio
from array import array
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

_SEGMENT_BYTES = 8 * 1024 * 1024


@dataclass
class _Segment:
    start: int  # timepoint of the first line
    data: bytearray = field(default_factory=bytearray)
    ends: array[int] = field(default_factory=lambda: array("Q"))


class OutOfRange(Exception):
    """The requested timepoint is no longer (or not yet) in the retained history."""


class EventLog:
    """Append-only, bounded history of one stream with timepoints ``first..next-1``."""

    def __init__(self, name: str, first_timepoint: int, retention: int) -> None:
        self.name = name
        self.retention = retention
        self._next = first_timepoint
        self._segments: list[_Segment] = [_Segment(first_timepoint)]
        self._starts: list[int] = [first_timepoint]
        self._listeners: set[asyncio.Event] = set()
        self.appended = 0
        self.bytes_appended = 0

    @property
    def next_timepoint(self) -> int:
        """The timepoint the next event will get."""
        return self._next

    @property
    def first_retained(self) -> int:
        """The oldest timepoint that can still be replayed."""
        return max(self._segments[0].start, self._next - self.retention)

    def append(self, build: Callable[[int], bytes]) -> int:
        """Append the line ``build(timepoint)`` (ending in a newline); returns its timepoint."""
        timepoint = self._next
        line = build(timepoint)
        segment = self._segments[-1]
        if len(segment.data) + len(line) > _SEGMENT_BYTES and len(segment.ends):
            segment = _Segment(timepoint)
            self._segments.append(segment)
            self._starts.append(timepoint)
        segment.data += line
        segment.ends.append(len(segment.data))
        self._next = timepoint + 1
        self.appended += 1
        self.bytes_appended += len(line)
        self._prune()
        for listener in self._listeners:
            listener.set()
        return timepoint

    def line(self, timepoint: int) -> bytes:
        """The stored line of one timepoint."""
        data, _ = self.read(timepoint, 1)
        return data

    def read(self, timepoint: int, max_bytes: int) -> tuple[bytes, int]:
        """Lines from ``timepoint`` on, at most ``max_bytes`` (but at least one line), and the
        timepoint that follows them. Raises OutOfRange outside the retained history."""
        if timepoint < self.first_retained or timepoint >= self._next:
            raise OutOfRange(timepoint)
        segment = self._segments[bisect_right(self._starts, timepoint) - 1]
        i = timepoint - segment.start
        ends = segment.ends
        begin = ends[i - 1] if i else 0
        j = max(i, bisect_right(ends, begin + max_bytes) - 1)
        return bytes(segment.data[begin : ends[j]]), segment.start + j + 1

    def subscribe(self, listener: asyncio.Event) -> None:
        self._listeners.add(listener)

    def unsubscribe(self, listener: asyncio.Event) -> None:
        self._listeners.discard(listener)

    def _prune(self) -> None:
        floor = self._next - self.retention
        while len(self._segments) > 1 and self._starts[1] <= floor:
            del self._segments[0]
            del self._starts[0]
