"""The time source of snov-enricher, injectable so tests can move to the next billing period."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    """Returns the current aware UTC time."""

    def now(self) -> dt.datetime:
        """The current time."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        """The current time (UTC)."""
        return dt.datetime.now(dt.UTC)
