"""Configuration of the GoHighLevel simulator."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

MatchField = Literal["email", "phone"]

API_VERSION = "2021-07-28"


@dataclass
class LocationSettings:
    """A sub-account's "Allow Duplicate Contact" preferences (Settings → Business Profile).

    With duplicates disallowed, upsert matches an existing contact on ``match_order[0]`` and then,
    if given, ``match_order[1]``. With duplicates allowed, upsert still matches (email first, then
    phone) unless the request sets ``createNewIfDuplicateAllowed: true``, which always creates.
    """

    allow_duplicates: bool = False
    match_order: tuple[MatchField, ...] = ("email", "phone")

    def __post_init__(self) -> None:
        if not 1 <= len(self.match_order) <= 2 or len(set(self.match_order)) != len(
            self.match_order
        ):
            raise ValueError("match_order is a primary field and an optional different secondary")


@dataclass
class GhlConfig:
    """Everything the GoHighLevel simulator can be told at construction.

    ``tokens`` maps each accepted Bearer token (a sub-account Private Integration Token or location
    OAuth token) to the one location it may act on. Rate limits are per token and location, on the
    simulated clock (``clock`` source accelerated by ``time_scale``).
    """

    tokens: dict[str, str] = field(default_factory=lambda: {"pit-leadpipe": "leadpipe-location"})
    seed: int = 0
    clock: Callable[[], float] = time.time
    time_scale: float = 1.0
    start_time: float | None = None
    burst_limit: int = 100
    burst_interval: float = 10.0
    daily_limit: int = 200_000
    locations: dict[str, LocationSettings] = field(default_factory=dict)
    request_log_size: int = 100_000
