"""The per-address limit: never more than N allowed in any trailing window."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from webhook_receiver.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@given(
    limit=st.integers(min_value=1, max_value=5),
    gaps=st.lists(st.floats(min_value=0, max_value=3), min_size=1, max_size=60),
)
def test_no_window_ever_holds_more_than_the_limit(limit: int, gaps: list[float]) -> None:
    clock = FakeClock()
    limiter = RateLimiter(limit, 2.0, clock=clock)
    allowed: list[float] = []
    for gap in gaps:
        clock.now += gap
        if limiter.allow("203.0.113.7")[0]:
            allowed.append(clock.now)
    for start in allowed:
        assert sum(1 for t in allowed if start <= t < start + 2.0) <= limit


def test_a_refused_request_is_told_when_to_retry() -> None:
    clock = FakeClock()
    limiter = RateLimiter(1, 10.0, clock=clock)
    assert limiter.allow("a") == (True, 0.0)
    clock.now = 4.0
    assert limiter.allow("a") == (False, 6.0)
    assert limiter.allow("b") == (True, 0.0), "addresses are limited separately"


def test_the_number_of_tracked_addresses_is_bounded() -> None:
    limiter = RateLimiter(1, 60.0, max_keys=2, clock=FakeClock())
    for address in ("a", "b", "c"):
        limiter.allow(address)
    assert limiter.allow("a") == (True, 0.0), "the oldest address was forgotten"
