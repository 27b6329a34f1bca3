"""Credit budgeting: billing periods, how many credits a new batch may reserve, when to pause and
when to resume. Pure functions; the ledger itself lives in Postgres (``repository``).

A batch reserves one credit per item before its start call (the most a domain search can cost and
the expected cost of an e-mail search), and on completion the reservation is replaced by what
Snov.io actually charged. The budget is per calendar month (UTC); an optional daily cap limits
what one day may charge.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math


class PauseReason(enum.StrEnum):
    """Why enrichment is paused, which decides how it resumes."""

    BUDGET_EXHAUSTED = "budget_exhausted"  # monthly budget spent: next period
    DAILY_CAP = "daily_cap_reached"  # daily cap spent: next day
    BALANCE_EXHAUSTED = "balance_exhausted"  # get-balance says 0: a re-check or next period
    NOT_ENOUGH_CREDITS = "not_enough_credits"  # a task said so: a re-check or next period
    OPERATOR = "operator"  # a job command: only a resume command


def period_of(moment: dt.datetime) -> str:
    """The billing period (``YYYY-MM``, UTC) of a moment."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m")


def day_of(moment: dt.datetime) -> dt.date:
    """The UTC day of a moment (the daily cap's unit)."""
    return moment.astimezone(dt.UTC).date()


@dataclasses.dataclass(frozen=True)
class Usage:
    """Credits used so far.

    Attributes:
        charged / reserved: In the current period (reservations of batches in flight).
        charged_today: Charged on the current day.
        balance: Snov.io's balance at the last check, minus what was charged since; None if
            never checked.
    """

    charged: int
    reserved: int
    charged_today: int
    balance: float | None


@dataclasses.dataclass(frozen=True)
class Allowance:
    """How many credits a new batch may reserve, and the pause reason when none ever will."""

    credits: int
    exhausted: PauseReason | None = None


def allowance(usage: Usage, *, budget: int, daily_cap: int | None) -> Allowance:
    """Credits available to a new batch.

    A limit reached by charges alone is exhaustion (pause); a limit reached only because batches
    in flight hold reservations is a wait (their completion frees or spends them).
    """
    if usage.charged >= budget:
        return Allowance(0, PauseReason.BUDGET_EXHAUSTED)
    if daily_cap is not None and usage.charged_today >= daily_cap:
        return Allowance(0, PauseReason.DAILY_CAP)
    if usage.balance is not None and math.floor(usage.balance) <= 0:
        return Allowance(0, PauseReason.BALANCE_EXHAUSTED)
    free = budget - usage.charged - usage.reserved
    if daily_cap is not None:
        free = min(free, daily_cap - usage.charged_today - usage.reserved)
    if usage.balance is not None:
        free = min(free, math.floor(usage.balance) - usage.reserved)
    return Allowance(max(0, free))


def resumes(
    reason: PauseReason,
    *,
    paused_period: str,
    paused_day: dt.date,
    now: dt.datetime,
    balance: float | None = None,
) -> bool:
    """Whether a pause for ``reason`` is over at ``now``.

    Args:
        balance: A balance re-checked since the pause (None: not re-checked).
    """
    if reason is PauseReason.OPERATOR:
        return False
    if period_of(now) != paused_period:
        return True
    if reason is PauseReason.DAILY_CAP:
        return day_of(now) != paused_day
    if reason in (PauseReason.BALANCE_EXHAUSTED, PauseReason.NOT_ENOUGH_CREDITS):
        return balance is not None and math.floor(balance) > 0
    return False
