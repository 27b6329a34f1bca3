"""Credit accounting: what each completed task cost and which results were paid for.

A task is charged once, when it completes (never on polls of its result, never on webhook
retries). Each charge keeps the items paid for (normalised company names, or e-mail addresses), so
tests can assert that a client never paid twice for the same company or person.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class ChargeRecord:
    """Credits taken from an account for one completed task."""

    client_id: str
    task_hash: str
    task_type: str
    credits: int
    items: tuple[str, ...]
    at: float

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "client_id": self.client_id,
            "task_hash": self.task_hash,
            "task_type": self.task_type,
            "credits": self.credits,
            "items": list(self.items),
            "at": self.at,
        }


class CreditLedger:
    """Every charge, in order."""

    def __init__(self) -> None:
        self._records: list[ChargeRecord] = []

    def record(self, charge: ChargeRecord) -> None:
        """Add one charge."""
        self._records.append(charge)

    def records(self, client_id: str | None = None) -> list[ChargeRecord]:
        """Charges, oldest first, optionally for one account."""
        return [r for r in self._records if client_id is None or r.client_id == client_id]

    def spent(self, task_type: str | None = None, client_id: str | None = None) -> int:
        """Credits charged, optionally only for one task type and/or account."""
        return sum(
            r.credits
            for r in self._records
            if (task_type is None or r.task_type == task_type)
            and (client_id is None or r.client_id == client_id)
        )

    def spent_by_type(self) -> dict[str, int]:
        """Credits charged per task type."""
        totals: Counter[str] = Counter()
        for r in self._records:
            totals[r.task_type] += r.credits
        return dict(totals)

    def for_task(self, task_hash: str) -> int:
        """Credits charged for one task (0 if it was free, failed or has not completed)."""
        return sum(r.credits for r in self._records if r.task_hash == task_hash)

    def items_paid_more_than_once(self) -> dict[tuple[str, str], int]:
        """``(task_type, item) -> times paid`` for every item paid for more than once."""
        counts: Counter[tuple[str, str]] = Counter(
            (r.task_type, item) for r in self._records for item in r.items
        )
        return {key: n for key, n in counts.items() if n > 1}

    def clear(self) -> None:
        """Forget every charge (balances are not refunded)."""
        self._records.clear()
