"""Fixed-window budgets per key and the RateLimit-* header fields."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from query_api.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_gets_its_budget_per_window_then_refusals_with_retry_after() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock)
    decisions = [limiter.check("k", 3) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[0].headers() == {
        "RateLimit-Limit": "3",
        "RateLimit-Remaining": "2",
        "RateLimit-Reset": "20",
        "RateLimit-Policy": "3;w=60",
    }
    assert decisions[3].headers()["Retry-After"] == "20"
    assert limiter.check("other", 3).allowed
    clock.now = 1_020.0
    assert limiter.check("k", 3).allowed


@given(st.lists(st.floats(min_value=0, max_value=600), max_size=200), st.integers(1, 10))
def test_no_window_admits_more_than_the_limit(gaps: list[float], limit: int) -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock)
    admitted: dict[int, int] = {}
    for gap in gaps:
        clock.now += gap / 10
        if limiter.check("k", limit).allowed:
            window = int(clock.now // 60)
            admitted[window] = admitted.get(window, 0) + 1
    assert all(count <= limit for count in admitted.values())
