"""The GoHighLevel pacer: the rolling-window law, daily cap, headers and 429 back-off."""

from __future__ import annotations

import heapq
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from crm_sync.pacing import RateBudget

DAY = 86_400.0
NOON = 20_000 * DAY + 43_200.0  # a wall-clock time in the middle of a UTC day


def simulate(budget: RateBudget, calls: list[tuple[float, float, float]]) -> list[float]:
    """Run calls (gap before wanting to start, start→arrival, arrival→response) concurrently on a
    simulated clock; returns the server-side arrival times."""
    now = 0.0
    responses: list[tuple[float, int]] = []
    arrivals: list[float] = []
    for gap, to_server, to_response in calls:
        now += gap
        while True:
            while responses and responses[0][0] <= now:
                at, ticket = heapq.heappop(responses)
                budget.answered(ticket, at)
            wait = budget.delay(now, NOON + now)
            if wait <= 0:
                break
            next_response = responses[0][0] if responses else now + wait
            now = min(now + wait, max(next_response, now))
        ticket = budget.record(now, NOON + now)
        arrivals.append(now + to_server)
        heapq.heappush(responses, (now + to_server + to_response, ticket))
    return sorted(arrivals)


def most_in_any_window(arrivals: list[float], window: float) -> int:
    """The largest number of arrivals in any window (T - window, T]."""
    best, first = 0, 0
    for last, at in enumerate(arrivals):
        while arrivals[first] <= at - window:
            first += 1
        best = max(best, last - first + 1)
    return best


@settings(max_examples=200, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=12),
    window=st.floats(min_value=0.5, max_value=10.0),
    calls=st.lists(
        st.tuples(
            st.floats(min_value=0.0, max_value=2.0),
            st.floats(min_value=0.0, max_value=3.0),
            st.floats(min_value=0.0, max_value=3.0),
        ),
        min_size=1,
        max_size=80,
    ),
)
def test_the_server_never_sees_more_than_the_limit_in_any_window_whatever_the_delays(
    limit: int, window: float, calls: list[tuple[float, float, float]]
) -> None:
    budget = RateBudget(limit, window, 1_000_000)
    arrivals = simulate(budget, calls)
    assert most_in_any_window(arrivals, window) <= limit


def test_a_full_window_makes_the_next_call_wait_until_the_oldest_answer_leaves_it() -> None:
    budget = RateBudget(2, 10.0, 1_000)
    for at in (0.0, 1.0):
        budget.answered(budget.record(at, NOON), at + 0.5)
    assert 8.5 <= budget.delay(2.0, NOON) <= 8.51
    assert budget.delay(10.51, NOON) == 0.0


def test_calls_in_flight_hold_their_slot_until_answered() -> None:
    budget = RateBudget(1, 10.0, 1_000)
    ticket = budget.record(0.0, NOON)
    assert budget.delay(50.0, NOON) > 0
    budget.answered(ticket, 50.0)
    assert budget.delay(60.01, NOON) == 0.0


def test_the_daily_cap_waits_for_the_next_utc_day() -> None:
    budget = RateBudget(100, 10.0, 2)
    for _ in range(2):
        budget.answered(budget.record(0.0, NOON), 0.0)
    assert budget.delay(20.0, NOON) == DAY / 2
    assert budget.delay(20.0, NOON + DAY / 2) == 0.0


def test_an_exhausted_server_window_pauses_for_the_reported_interval() -> None:
    budget = RateBudget(90, 10.0, 1_000)
    budget.observe(
        {"x-ratelimit-remaining": "0", "X-RateLimit-Interval-Milliseconds": "4000"}, 1.0, NOON
    )
    assert budget.delay(1.0, NOON) == 4.0


def test_an_exhausted_daily_quota_pauses_until_midnight_utc() -> None:
    budget = RateBudget(90, 10.0, 1_000)
    budget.observe({"X-RateLimit-Daily-Remaining": "0"}, 0.0, NOON)
    assert budget.delay(0.0, NOON) == DAY / 2


def test_a_smaller_server_maximum_tightens_the_burst_limit() -> None:
    budget = RateBudget(90, 10.0, 1_000)
    budget.observe({"X-RateLimit-Max": "20"}, 0.0, NOON)
    assert budget.burst_limit == 18
    budget.observe({"X-RateLimit-Max": "500"}, 0.0, NOON)
    assert budget.burst_limit == 90


def test_repeated_429s_back_off_exponentially_with_jitter_up_to_the_cap() -> None:
    budget = RateBudget(90, 10.0, 1_000, backoff_base=1.0, backoff_max=8.0, rng=random.Random(7))
    pauses = [budget.rate_limited({}, float(n) * 100, NOON) for n in range(6)]
    for attempt, pause in enumerate(pauses):
        step = min(8.0, 2.0**attempt)
        assert step / 2 <= pause <= step
    budget.succeeded()
    assert budget.rate_limited({}, 1_000.0, NOON) <= 1.0
