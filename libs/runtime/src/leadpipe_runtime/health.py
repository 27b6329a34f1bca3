"""Named health checks behind /healthz and /readyz.

Liveness (``/healthz``) answers whether the process should be restarted; readiness (``/readyz``)
whether it can do its work now (NATS and Postgres reachable, consumers bound). A check may also
report ``degraded``: working, but in a state an operator must see (e.g. a stream connected but
silent) — readiness stays 200 and the detail says why.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
from collections.abc import Awaitable, Callable


class Status(enum.StrEnum):
    """Outcome of one check."""

    OK = "ok"
    DEGRADED = "degraded"
    FAIL = "fail"


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """A check's status and an optional explanation."""

    status: Status
    detail: str | None = None


Check = Callable[[], Awaitable[CheckResult]]


def flag(predicate: Callable[[], bool], failure: str) -> Check:
    """A check that fails with ``failure`` while ``predicate`` is false."""

    async def check() -> CheckResult:
        return CheckResult(Status.OK) if predicate() else CheckResult(Status.FAIL, failure)

    return check


class HealthRegistry:
    """The checks of one service, run concurrently with a timeout each."""

    def __init__(self, timeout: float = 2.0) -> None:
        self._liveness: dict[str, Check] = {}
        self._readiness: dict[str, Check] = {}
        self._timeout = timeout

    def add_liveness(self, name: str, check: Check) -> None:
        """Register a check whose failure means "restart me"."""
        self._liveness[name] = check

    def add_readiness(self, name: str, check: Check) -> None:
        """Register a check whose failure means "do not send me work now"."""
        self._readiness[name] = check

    async def liveness(self) -> dict[str, CheckResult]:
        """Run the liveness checks."""
        return await self._run(self._liveness)

    async def readiness(self) -> dict[str, CheckResult]:
        """Run the readiness checks."""
        return await self._run(self._readiness)

    async def _run(self, checks: dict[str, Check]) -> dict[str, CheckResult]:
        async def one(check: Check) -> CheckResult:
            try:
                return await asyncio.wait_for(check(), self._timeout)
            except TimeoutError:
                return CheckResult(Status.FAIL, "check timed out")
            except Exception as exc:
                return CheckResult(Status.FAIL, f"check raised {type(exc).__name__}: {exc}")

        names = list(checks)
        results = await asyncio.gather(*(one(checks[name]) for name in names))
        return dict(zip(names, results, strict=True))
