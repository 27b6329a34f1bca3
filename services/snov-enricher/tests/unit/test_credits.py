"""Budget rules: what a batch may reserve, when to pause, when a pause ends."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from snov_enricher.credits import PauseReason, Usage, allowance, period_of, resumes

NOV = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)


def test_a_spent_budget_is_exhaustion_but_reservations_only_mean_waiting() -> None:
    assert allowance(Usage(5000, 0, 0, None), budget=5000, daily_cap=None).exhausted is (
        PauseReason.BUDGET_EXHAUSTED
    )
    waiting = allowance(Usage(4990, 10, 0, None), budget=5000, daily_cap=None)
    assert (waiting.credits, waiting.exhausted) == (0, None)


def test_the_daily_cap_and_the_balance_limit_a_batch() -> None:
    assert allowance(Usage(10, 0, 95, None), budget=5000, daily_cap=100).credits == 5
    assert allowance(Usage(10, 0, 100, None), budget=5000, daily_cap=100).exhausted is (
        PauseReason.DAILY_CAP
    )
    assert allowance(Usage(10, 2, 0, 7.0), budget=5000, daily_cap=None).credits == 5
    assert allowance(Usage(10, 0, 0, 0.0), budget=5000, daily_cap=None).exhausted is (
        PauseReason.BALANCE_EXHAUSTED
    )


@given(
    charged=st.integers(0, 200),
    reserved=st.integers(0, 50),
    today=st.integers(0, 200),
    balance=st.none() | st.floats(0, 300),
    budget=st.integers(0, 200),
    cap=st.none() | st.integers(0, 200),
)
def test_a_reservation_never_takes_usage_past_any_limit(
    charged: int, reserved: int, today: int, balance: float | None, budget: int, cap: int | None
) -> None:
    granted = allowance(Usage(charged, reserved, today, balance), budget=budget, daily_cap=cap)
    if granted.credits:
        assert charged + reserved + granted.credits <= budget
        assert cap is None or today + reserved + granted.credits <= cap
        assert balance is None or reserved + granted.credits <= balance


def test_a_budget_pause_ends_with_the_period_and_a_cap_pause_with_the_day() -> None:
    december = dt.datetime(2026, 12, 1, 0, 1, tzinfo=dt.UTC)
    later_today = NOV + dt.timedelta(hours=5)
    tomorrow = NOV + dt.timedelta(days=1)
    kwargs = {"paused_period": period_of(NOV), "paused_day": NOV.date()}
    assert not resumes(PauseReason.BUDGET_EXHAUSTED, now=later_today, **kwargs)  # type: ignore[arg-type]
    assert not resumes(PauseReason.BUDGET_EXHAUSTED, now=tomorrow, **kwargs)  # type: ignore[arg-type]
    assert resumes(PauseReason.BUDGET_EXHAUSTED, now=december, **kwargs)  # type: ignore[arg-type]
    assert not resumes(PauseReason.DAILY_CAP, now=later_today, **kwargs)  # type: ignore[arg-type]
    assert resumes(PauseReason.DAILY_CAP, now=tomorrow, **kwargs)  # type: ignore[arg-type]


def test_a_credit_pause_ends_when_a_recheck_finds_credits_and_an_operator_pause_never() -> None:
    kwargs = {"paused_period": period_of(NOV), "paused_day": NOV.date(), "now": NOV}
    assert not resumes(PauseReason.NOT_ENOUGH_CREDITS, balance=None, **kwargs)  # type: ignore[arg-type]
    assert not resumes(PauseReason.NOT_ENOUGH_CREDITS, balance=0.5, **kwargs)  # type: ignore[arg-type]
    assert resumes(PauseReason.BALANCE_EXHAUSTED, balance=12.0, **kwargs)  # type: ignore[arg-type]
    december = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    assert not resumes(
        PauseReason.OPERATOR, paused_period="2026-11", paused_day=NOV.date(), now=december
    )
