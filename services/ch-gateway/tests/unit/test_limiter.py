"""The limiter law, for arbitrary schedules on a virtual clock, and header adaptation."""

from __future__ import annotations

import bisect

from hypothesis import given, settings
from hypothesis import strategies as st

from ch_gateway.limiter import SlidingWindowLimiter, parse_rate_headers, parse_window

START = 1_793_000_000.0


def max_in_window(times: list[float], window: float) -> int:
    """Most calls in any half-open interval [t, t + window) (t ranging over the calls)."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered)), default=0
    )


def drive(limiter: SlidingWindowLimiter, arrivals: list[float]) -> list[float]:
    """Grant each arrival at the earliest time the limiter allows (a virtual-clock gateway)."""
    now = START
    granted = []
    for gap in arrivals:
        now += gap
        allowed = limiter.next_allowed(now)
        assert allowed >= now
        now = allowed
        assert limiter.next_allowed(now) == now, "the announced time must really be allowed"
        limiter.record(now)
        granted.append(now)
    return granted


schedules = st.lists(
    st.one_of(st.just(0.0), st.floats(0, 0.5), st.floats(0, 400)), min_size=1, max_size=400
)


@settings(max_examples=150, deadline=None)
@given(
    arrivals=schedules,
    budget=st.integers(1, 40),
    window=st.sampled_from([3.0, 60.0, 300.0, 0.7]),
    slices=st.integers(1, 12),
    history=st.lists(st.floats(-600, 0), max_size=60),
)
def test_limiter_never_grants_more_than_the_budget_in_any_window(
    arrivals: list[float], budget: int, window: float, slices: int, history: list[float]
) -> None:
    past = [START + offset for offset in history]
    limiter = SlidingWindowLimiter(budget, window, slices=slices, history=past)
    granted = drive(limiter, arrivals)
    calls = past + granted
    assert max_in_window(calls, window) <= max(budget, max_in_window(past, window))
    assert max_in_window(granted, window) <= budget
    assert max_in_window(granted, window / slices) <= limiter.burst


@settings(max_examples=100, deadline=None)
@given(arrivals=schedules, budget=st.integers(1, 30), slices=st.integers(1, 6))
def test_limiter_waits_only_when_a_law_requires_it(
    arrivals: list[float], budget: int, slices: int
) -> None:
    window = 10.0
    limiter = SlidingWindowLimiter(budget, window, slices=slices)
    now = START
    granted: list[float] = []
    for gap in arrivals:
        now += gap
        allowed = limiter.next_allowed(now)
        if allowed > now:
            # The wait ends exactly when an earlier call leaves a window.
            assert any(allowed in (g + window, g + limiter.slice_seconds) for g in granted), (
                "waited although no window was full"
            )
        now = allowed
        limiter.record(now)
        granted.append(now)


@settings(max_examples=100, deadline=None)
@given(
    arrivals=schedules,
    remaining=st.integers(0, 10),
    reset_in=st.floats(0.1, 50),
    observe_after=st.integers(0, 20),
)
def test_server_remain_header_only_tightens_the_limiter(
    arrivals: list[float], remaining: int, reset_in: float, observe_after: int
) -> None:
    budget, window = 20, 30.0
    limiter = SlidingWindowLimiter(budget, window, slices=1)
    now = START
    granted: list[float] = []
    observed_at: float | None = None
    seen = 0
    for index, gap in enumerate(arrivals):
        if index == observe_after and granted:
            observed_at, seen = now, len(granted)
            limiter.observe(remaining=remaining, reset_at=now + reset_in, dispatched_at=granted[-1])
        now = limiter.next_allowed(now + gap)
        limiter.record(now)
        granted.append(now)
    assert max_in_window(granted, window) <= budget
    if observed_at is not None:
        before_reset = [g for g in granted[seen:] if g < observed_at + reset_in]
        assert len(before_reset) <= remaining


def test_a_restarted_limiter_does_not_grant_a_fresh_burst() -> None:
    first = SlidingWindowLimiter(5, 300.0)
    granted = drive(first, [0.0] * 5)
    restarted = SlidingWindowLimiter(5, 300.0, history=granted)
    assert restarted.next_allowed(granted[-1] + 1) == granted[0] + 300.0


def test_smoothing_spreads_a_saturated_window_over_its_slices() -> None:
    limiter = SlidingWindowLimiter(60, 3.0, slices=10)
    granted = drive(limiter, [0.0] * 60)
    assert limiter.burst == 6
    assert granted[5] == START
    assert granted[6] == START + 0.3
    assert granted[-1] < START + 3.0


def test_tighten_lowers_the_budget_and_lengthens_the_window_but_never_loosens() -> None:
    limiter = SlidingWindowLimiter(100, 60.0)
    limiter.tighten(budget=200, window=30.0)
    assert (limiter.budget, limiter.window) == (100, 60.0)
    limiter.tighten(budget=50, window=300.0)
    assert (limiter.budget, limiter.window) == (50, 300.0)


def test_rate_headers_are_read_case_insensitively_in_both_spellings() -> None:
    parsed = parse_rate_headers(
        {
            "X-RateLimit-Limit": "600",
            "x-ratelimit-remaining": "12",
            "X-Ratelimit-Reset": "1582155701",
            "X-RATELIMIT-WINDOW": "5m",
        }
    )
    assert (parsed.limit, parsed.remaining, parsed.reset_at, parsed.window) == (
        600,
        12,
        1582155701.0,
        300.0,
    )
    assert parse_rate_headers({"X-Ratelimit-Remain": "3"}).remaining == 3
    assert not parse_rate_headers({"ETag": "x"}).present


def test_window_header_forms() -> None:
    assert parse_window("5m") == 300.0
    assert parse_window("3s") == 3.0
    assert parse_window("300") == 300.0
    assert parse_window("1h") == 3600.0
    assert parse_window("soon") is None
