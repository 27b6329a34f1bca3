"""The limiter law, for arbitrary schedules on a virtual clock, and header adaptation."""

from __future__ import annotations

import bisect
import heapq
import itertools
import math

import pytest
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


def drive_from(limiter: SlidingWindowLimiter, start: float, arrivals: list[float]) -> list[float]:
    """Like ``drive``, from ``start``."""
    now = start
    granted = []
    for gap in arrivals:
        now = limiter.next_allowed(now + gap)
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
    # Pacing: any span L holds fewer than L / interval + burst calls.
    span = window / slices
    assert max_in_window(granted, span) < span / limiter.interval + limiter.burst + 1e-6


@settings(max_examples=150, deadline=None)
@given(
    arrivals=schedules,
    budget=st.integers(1, 40),
    window=st.sampled_from([3.0, 60.0, 0.7]),
    slices=st.integers(1, 12),
    lateness=st.lists(st.floats(0, 5), min_size=1, max_size=400),
    unused=st.integers(0, 10),
    restart_after=st.floats(0, 400),
    more=schedules,
)
def test_a_restart_from_persisted_upper_bounds_never_exceeds_the_budget(
    arrivals: list[float],
    budget: int,
    window: float,
    slices: int,
    lateness: list[float],
    unused: int,
    restart_after: float,
    more: list[float],
) -> None:
    # The leader persists, before each call, a time no earlier than the call (a reservation),
    # plus reservations it never used; a new leader starts from those times alone.
    first = SlidingWindowLimiter(budget, window, slices=slices)
    made = drive(first, arrivals)
    persisted = [at + lateness[i % len(lateness)] for i, at in enumerate(made)]
    persisted += [made[-1] + lateness[0]] * unused
    restarted = SlidingWindowLimiter(budget, window, slices=slices, history=persisted)
    restarted_at = made[-1] + restart_after
    after = drive_from(restarted, restarted_at, more)
    assert max_in_window(made + after, window) <= budget


def drive_in_flight(
    limiter: SlidingWindowLimiter,
    gaps: list[float],
    delays: list[float],
    tails: list[float],
) -> list[float]:
    """A gateway whose calls reach the server ``delays[i]`` after the decision and are answered
    ``tails[i]`` after that; returns the times the server counted the calls (arrivals)."""
    now = START
    answers: list[float] = []  # when the open calls are answered (a heap)
    arrivals = []
    for i, gap in enumerate(gaps):
        now += gap
        while True:
            while answers and answers[0] <= now:
                limiter.settle(heapq.heappop(answers))
            allowed = limiter.next_allowed(now)
            if answers and allowed >= answers[0]:
                now = answers[0]  # an answer comes first and may allow an earlier call
                continue
            assert not math.isinf(allowed), "waiting for nothing"
            now = allowed
            break
        limiter.start(now)
        arrival = now + delays[i % len(delays)]
        arrivals.append(arrival)
        heapq.heappush(answers, arrival + tails[i % len(tails)])
    return arrivals


@settings(max_examples=150, deadline=None)
@given(
    gaps=schedules,
    budget=st.integers(1, 40),
    window=st.sampled_from([3.0, 60.0, 0.7]),
    slices=st.integers(1, 12),
    delays=st.lists(st.one_of(st.just(0.0), st.floats(0, 0.5), st.floats(0, 10)), min_size=1),
    tails=st.lists(st.one_of(st.just(0.0), st.floats(0, 0.5), st.floats(0, 10)), min_size=1),
)
def test_calls_that_reach_the_server_late_never_exceed_the_budget_in_its_windows(
    gaps: list[float],
    budget: int,
    window: float,
    slices: int,
    delays: list[float],
    tails: list[float],
) -> None:
    # The server counts arrivals, which lag the decisions by any amount (a busy event loop, a
    # slow connect); only the reply bounds them. Open calls must count in every window.
    limiter = SlidingWindowLimiter(budget, window, slices=slices)
    arrivals = drive_in_flight(limiter, gaps, delays, tails)
    assert max_in_window(arrivals, window) <= budget


def test_a_call_in_flight_counts_until_answered_and_then_at_its_answer() -> None:
    limiter = SlidingWindowLimiter(2, 10.0)
    limiter.start(START)
    limiter.start(START)
    assert limiter.used(START + 100) == 2, "open calls are in every window"
    assert math.isinf(limiter.next_allowed(START + 100))
    limiter.settle(START + 4)
    assert limiter.next_allowed(START + 5) == START + 14
    with pytest.raises(RuntimeError):
        SlidingWindowLimiter(2, 10.0).settle(START)


@settings(max_examples=100, deadline=None)
@given(arrivals=schedules, budget=st.integers(1, 30), slices=st.integers(1, 6))
def test_limiter_waits_only_when_a_law_requires_it(
    arrivals: list[float], budget: int, slices: int
) -> None:
    window = 10.0
    limiter = SlidingWindowLimiter(budget, window, slices=slices)
    now = START
    granted: list[float] = []
    scheduled = -math.inf  # an independent model of the even schedule
    for gap in arrivals:
        now += gap
        allowed = limiter.next_allowed(now)
        if allowed > now:
            # The wait ends exactly when an earlier call leaves a window, or at the even
            # schedule's time less the allowance.
            paced = scheduled - (limiter.burst - 1) * limiter.interval
            assert allowed == paced or any(allowed == g + window for g in granted), (
                "waited although no law required it"
            )
        now = allowed
        limiter.record(now)
        granted.append(now)
        scheduled = max(scheduled, now) + limiter.interval


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


def test_pacing_spreads_a_saturated_window_evenly_after_the_allowance() -> None:
    limiter = SlidingWindowLimiter(60, 3.0, slices=10)
    granted = drive(limiter, [0.0] * 60)
    assert limiter.burst == 6
    assert granted[5] == START
    assert granted[6] == pytest.approx(START + 0.05)
    gaps = [b - a for a, b in itertools.pairwise(granted[6:])]
    assert gaps == pytest.approx([0.05] * len(gaps))
    assert granted[-1] < START + 3.0


def test_a_late_call_is_caught_up_rather_than_pushing_the_schedule_back() -> None:
    limiter = SlidingWindowLimiter(100, 10.0, slices=10)  # 0.1 s apart, 10 ahead allowed
    now = START
    for _ in range(10):
        limiter.record(now)
    late = limiter.next_allowed(now) + 0.55  # five and a half intervals late
    limiter.record(late)
    # The five missed slots are still there: calls at once until the schedule is met again.
    caught_up = 0
    while limiter.next_allowed(late) == late:
        limiter.record(late)
        caught_up += 1
    assert caught_up == 5


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


@settings(max_examples=100, deadline=None)
@given(
    arrivals=schedules,
    budget=st.integers(1, 40),
    slices=st.integers(1, 12),
    horizon=st.floats(0.01, 20),
)
def test_grantable_predicts_the_calls_the_limiter_then_allows(
    arrivals: list[float], budget: int, slices: int, horizon: float
) -> None:
    limiter = SlidingWindowLimiter(budget, 10.0, slices=slices)
    now = drive(limiter, arrivals)[-1]
    end = now + horizon
    predicted = limiter.grantable(now, end)
    granted = 0
    while (at := limiter.next_allowed(now)) < end and granted < budget:
        limiter.record(at)
        now = at
        granted += 1
    assert predicted == granted


def test_a_reset_rounded_up_to_whole_seconds_is_not_waited_for_past_the_windows_end() -> None:
    limiter = SlidingWindowLimiter(198, 2.0, slices=10)
    granted = drive_from(limiter, START + 0.3, [0.0] * 198)
    assert granted[-1] < START + 2.3
    reset_at = math.ceil(START + 2.3)  # the server's window began with our first call
    limiter.observe(
        remaining=199, reset_at=reset_at, dispatched_at=granted[0], replied_at=START + 0.31
    )
    # The server has counted all 198 (Remain 2) when it answers the 196th: the window is full.
    limiter.observe(remaining=2, reset_at=reset_at, dispatched_at=granted[195])
    # Calls resume when the window really ends (first reply + window), not at the reset.
    assert limiter.next_allowed(granted[-1]) == pytest.approx(START + 2.31)


def test_calls_decided_with_the_observed_one_count_as_not_yet_seen_by_the_server() -> None:
    limiter = SlidingWindowLimiter(100, 10.0, slices=2)
    batch = drive(limiter, [0.0] * 5)
    assert set(batch) == {START}
    # The first of the batch reached the server first: its Remain cannot include the others.
    limiter.observe(remaining=3, reset_at=START + 10, dispatched_at=START)
    assert limiter.next_allowed(START) == START + 10


def test_grantable_stops_at_the_cap_so_a_huge_budget_costs_no_time() -> None:
    # A "quota free" deployment (budget 10^9) must not make the reservation sizing loop count
    # every call the window would allow.
    limiter = SlidingWindowLimiter(1_000_000_000, 300.0, slices=10)
    assert limiter.grantable(START, START + 1.0, at_most=50) == 50
