"""A record of every request a simulator answered, for assertions in tests and benchmarks.

Typical questions: "did any request arrive before the advertised reset?", "were there ever
more than L requests in any window of W seconds?", "how many 429s?".
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple


class RequestRecord(NamedTuple):
    time: float  # on the simulator's (injectable) clock
    method: str
    path: str
    query: str
    status: int  # 0 when the connection was dropped without an answer
    key: str | None
    remote: str | None
    fault: str | None


class RequestLog:
    def __init__(self) -> None:
        self.records: list[RequestRecord] = []
        self.by_status: Counter[int] = Counter()

    def add(self, record: RequestRecord) -> None:
        self.records.append(record)
        self.by_status[record.status] += 1

    def clear(self) -> None:
        self.records.clear()
        self.by_status.clear()

    def __len__(self) -> int:
        return len(self.records)

    def count(self, status: int | None = None) -> int:
        return len(self.records) if status is None else self.by_status[status]

    def times(self, *, key: str | None = None, status: int | None = None) -> list[float]:
        return [
            r.time
            for r in self.records
            if (key is None or r.key == key) and (status is None or r.status == status)
        ]

    def max_in_window(self, window: float, *, key: str | None = None) -> int:
        """The largest number of requests (of ``key``, or all authenticated) that arrived
        within any interval of length ``window`` (half-open: [t, t + window))."""
        times = sorted(
            r.time for r in self.records if r.key is not None and (key is None or r.key == key)
        )
        best = 0
        left = 0
        for right, t in enumerate(times):
            while t - times[left] >= window:
                left += 1
            best = max(best, right - left + 1)
        return best

    def since(self, t: float) -> list[RequestRecord]:
        return [r for r in self.records if r.time >= t]
