"""What a simulator was asked and what it answered, for tests and the /_sim/requests endpoint.

The log keeps the newest ``maxlen`` records so a long benchmark cannot exhaust memory; the
per-status counters cover every request ever served.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class RequestRecord:
    """One API call: simulated time, request line, answer status and who made it."""

    at: float
    method: str
    path: str
    query: str
    status: int
    principal: str | None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return asdict(self)


class RequestLog:
    """Bounded list of :class:`RequestRecord` plus unbounded counters."""

    def __init__(self, maxlen: int = 100_000) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=maxlen)
        self.by_status: Counter[int] = Counter()

    def append(self, record: RequestRecord) -> None:
        """Add one served request."""
        self._records.append(record)
        self.by_status[record.status] += 1

    @property
    def total(self) -> int:
        """Requests served since the last clear."""
        return sum(self.by_status.values())

    def records(self, path: str | None = None) -> list[RequestRecord]:
        """The retained records, oldest first, optionally only those for ``path``."""
        return [r for r in self._records if path is None or r.path == path]

    def clear(self) -> None:
        """Forget every record and counter."""
        self._records.clear()
        self.by_status.clear()
