"""Fault injection on demand: 5xx answers, added latency, dropped connections, broken JSON.

Faults are queued from Python (``FaultInjector.add``) or over HTTP (``POST /_sim/faults``) and
consumed by matching requests: ``count`` requests each, or until cleared when ``count`` is None.
Latency faults add up and combine with at most one terminal fault per request.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, cast, get_args

FaultKind = Literal["status", "latency", "drop", "malformed_json", "stall"]
_KINDS = frozenset(get_args(FaultKind))


@dataclass
class Fault:
    """One queued fault.

    - ``status``: answer with ``status`` (e.g. 500, 502, 503, 504) instead of the resource;
    - ``latency``: wait ``delay`` seconds before answering;
    - ``drop``: abort the TCP connection without an answer;
    - ``malformed_json``: a 200 whose body is truncated, invalid JSON;
    - ``stall`` (stream only): keep connections open with heartbeats but deliver no events.
    """

    kind: FaultKind
    count: int | None = 1
    status: int = 503
    delay: float = 0.0
    path_prefix: str = ""

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {sorted(_KINDS)}")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be >= 1 or None")
        if self.kind == "status" and not 400 <= self.status <= 599:
            raise ValueError("a status fault needs a 4xx/5xx status")

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Fault:
        allowed = {"kind", "count", "status", "delay", "path_prefix"}
        unknown = set(body) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        kind = body.get("kind")
        if not isinstance(kind, str):
            raise ValueError("fault needs a 'kind'")
        return cls(
            kind=cast(FaultKind, kind),
            count=body.get("count", 1),
            status=int(body.get("status", 503)),
            delay=float(body.get("delay", 0.0)),
            path_prefix=str(body.get("path_prefix", "")),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    """The queue of pending faults for one server."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self.injected: dict[str, int] = {}

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def pending(self) -> list[Fault]:
        return list(self._faults)

    def active(self, kind: FaultKind, path: str = "") -> bool:
        """True if a fault of ``kind`` is pending for ``path`` (without consuming it)."""
        return any(f.kind == kind and path.startswith(f.path_prefix) for f in self._faults)

    def take(self, path: str) -> tuple[float, Fault | None]:
        """Consume the faults that apply to one request: (added delay, terminal fault)."""
        delay = 0.0
        terminal: Fault | None = None
        for fault in list(self._faults):
            if not path.startswith(fault.path_prefix) or fault.kind == "stall":
                continue
            if fault.kind == "latency":
                delay += fault.delay
            elif terminal is None:
                terminal = fault
            else:
                continue
            self.injected[fault.kind] = self.injected.get(fault.kind, 0) + 1
            if fault.count is not None:
                fault.count -= 1
                if fault.count == 0:
                    self._faults.remove(fault)
        return delay, terminal
