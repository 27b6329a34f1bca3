"""Per-task webhook pushes: the POST to a task's ``webhook_url`` and the documented retry ladder.

A delivery succeeds when the receiver answers any 2xx within ``timeout`` real seconds (3 s, as
documented; kept in real time because it bounds a real HTTP exchange even when the simulated clock
is accelerated). Otherwise it is retried on the ladder: immediately, then +20 min, +40 min, +60 min,
+4 h, +8 h and +24 h after the previous attempt, 7 attempts in all, on the simulated clock. Each
retry is scheduled from the previous attempt's *scheduled* time, so the ladder is exact whatever the
real latency. After the last failure the push is abandoned (there is no subscription to deactivate
for a per-task webhook). Every attempt is recorded.

Faults: a push can be dropped (the receiver never hears of the task) or delivered several times
(each copy runs its own ladder), for a specific task or for the next N tasks that complete.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum

import aiohttp

from leadpipe_simulators._common.clock import SimClock
from leadpipe_simulators._common.scheduler import Scheduler


class DeliveryState(StrEnum):
    """Where one copy of a push stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    ABANDONED = "abandoned"


@dataclass(frozen=True)
class WebhookAttempt:
    """One POST to a webhook URL and how it went."""

    task_hash: str
    url: str
    copy: int
    attempt: int
    scheduled_at: float
    at: float
    status: int | None
    error: str | None
    delivered: bool

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "task_hash": self.task_hash,
            "url": self.url,
            "copy": self.copy,
            "attempt": self.attempt,
            "scheduled_at": self.scheduled_at,
            "at": self.at,
            "status": self.status,
            "error": self.error,
            "delivered": self.delivered,
        }


@dataclass
class _Rule:
    task_hash: str | None
    remaining: int
    copies: int


class WebhookFaults:
    """Rules deciding how many copies of a push go out (0 = dropped, 1 = normal)."""

    def __init__(self) -> None:
        self._rules: list[_Rule] = []

    def drop(self, count: int = 1, task_hash: str | None = None) -> None:
        """Lose the push of ``task_hash``, or of the next ``count`` tasks that complete."""
        self._add(_Rule(task_hash, 1 if task_hash else count, 0))

    def duplicate(self, copies: int = 2, count: int = 1, task_hash: str | None = None) -> None:
        """Deliver the push of ``task_hash``, or of the next ``count`` tasks, ``copies`` times."""
        if copies < 2:
            raise ValueError("a duplicated push needs copies >= 2")
        self._add(_Rule(task_hash, 1 if task_hash else count, copies))

    def _add(self, rule: _Rule) -> None:
        if rule.remaining < 1:
            raise ValueError("count must be at least 1")
        self._rules.append(rule)

    def copies_for(self, task_hash: str) -> int:
        """How many copies to send for this task, consuming the rule that decided it."""
        rule = next((r for r in self._rules if r.task_hash == task_hash), None)
        if rule is None:
            rule = next((r for r in self._rules if r.task_hash is None), None)
        if rule is None:
            return 1
        rule.remaining -= 1
        if rule.remaining <= 0:
            self._rules.remove(rule)
        return rule.copies

    def pending_rules(self) -> list[dict[str, object]]:
        """The rules not yet used up, for /_sim/ stats."""
        return [
            {"task_hash": r.task_hash, "remaining": r.remaining, "copies": r.copies}
            for r in self._rules
        ]

    def clear(self) -> None:
        """Deliver every push normally again."""
        self._rules.clear()


@dataclass
class _Delivery:
    task_hash: str
    url: str
    body: bytes
    copy: int
    state: DeliveryState = DeliveryState.PENDING


class WebhookDispatcher:
    """Sends pushes, retries them on the ladder and records every attempt."""

    def __init__(
        self,
        clock: SimClock,
        scheduler: Scheduler,
        retry_delays: tuple[float, ...],
        timeout: float,
    ) -> None:
        self._clock = clock
        self._scheduler = scheduler
        self._retry_delays = retry_delays
        self._timeout = timeout
        self.faults = WebhookFaults()
        self._session: aiohttp.ClientSession | None = None
        self._attempts: list[WebhookAttempt] = []
        self._deliveries: list[_Delivery] = []
        self._dropped: list[str] = []

    @property
    def max_attempts(self) -> int:
        """Attempts per copy before it is abandoned."""
        return 1 + len(self._retry_delays)

    async def open(self) -> None:
        """Create the HTTP client used for pushes."""
        if self._session is None:
            self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        """Close the HTTP client."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def dispatch(self, task_hash: str, url: str, body: bytes) -> None:
        """Push ``body`` to ``url`` for a completed task, subject to the webhook faults."""
        copies = self.faults.copies_for(task_hash)
        if copies == 0:
            self._dropped.append(task_hash)
            return
        now = self._clock.now()
        for copy in range(1, copies + 1):
            delivery = _Delivery(task_hash, url, body, copy)
            self._deliveries.append(delivery)
            self._scheduler.call_at(now, functools.partial(self._attempt, delivery, 1, now))

    async def _attempt(self, delivery: _Delivery, number: int, scheduled_at: float) -> None:
        started = self._clock.now()
        status: int | None = None
        error: str | None = None
        if self._session is None:
            error = "simulator stopped"
        else:
            try:
                async with self._session.post(
                    delivery.url,
                    data=delivery.body,
                    headers={"Content-Type": "application/json"},
                    timeout=aiohttp.ClientTimeout(total=self._timeout),
                    allow_redirects=False,
                ) as response:
                    status = response.status
            except TimeoutError:
                error = f"no answer within {self._timeout} s"
            except (aiohttp.ClientError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc}"
        delivered = status is not None and 200 <= status < 300
        self._attempts.append(
            WebhookAttempt(
                delivery.task_hash,
                delivery.url,
                delivery.copy,
                number,
                scheduled_at,
                started,
                status,
                error,
                delivered,
            )
        )
        if delivered:
            delivery.state = DeliveryState.DELIVERED
        elif number < self.max_attempts:
            next_at = scheduled_at + self._retry_delays[number - 1]
            self._scheduler.call_at(
                next_at, functools.partial(self._attempt, delivery, number + 1, next_at)
            )
        else:
            delivery.state = DeliveryState.ABANDONED

    def attempts(self, task_hash: str | None = None) -> list[WebhookAttempt]:
        """Recorded attempts, oldest first, optionally for one task."""
        return [a for a in self._attempts if task_hash is None or a.task_hash == task_hash]

    def dropped(self) -> list[str]:
        """Hashes of tasks whose push was lost on purpose."""
        return list(self._dropped)

    def states(self, task_hash: str | None = None) -> list[DeliveryState]:
        """The state of each copy pushed, optionally for one task."""
        return [d.state for d in self._deliveries if task_hash is None or d.task_hash == task_hash]

    def counts(self) -> dict[str, int]:
        """Totals for /_sim/ stats."""
        return {
            "attempts": len(self._attempts),
            "delivered": sum(d.state is DeliveryState.DELIVERED for d in self._deliveries),
            "pending": sum(d.state is DeliveryState.PENDING for d in self._deliveries),
            "abandoned": sum(d.state is DeliveryState.ABANDONED for d in self._deliveries),
            "dropped": len(self._dropped),
        }
