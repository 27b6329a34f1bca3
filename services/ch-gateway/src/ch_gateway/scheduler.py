"""Which upstream call goes next: strict priority, FIFO within a priority, duplicates coalesced.

A ``Job`` is one resource to fetch and the requests (``Waiter``s) it answers. A request whose
resource already has a job — queued or with a call in flight — joins it instead of costing a
call of its own, and raises the job to its priority if that is higher. Jobs are ordered by
(priority rank, arrival sequence); a job with more pages, or one backing off after a failure,
goes back into the queue under its original place, so a high-priority request overtakes every
low-priority page. Pure data structure: no I/O, no clock.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar

from ch_gateway.domain import OfficerPages, Target


class Ranked(Protocol):
    """A request waiting in the scheduler: all it needs to know is its priority rank."""

    @property
    def rank(self) -> int:
        """0 for high, 1 normal, 2 low."""
        ...


W = TypeVar("W", bound=Ranked)


@dataclasses.dataclass(eq=False)
class Job(Generic[W]):
    """One resource being fetched for one or more requests.

    Attributes:
        rank: Best (lowest) priority rank among its requests.
        sequence: Arrival order of its first request; FIFO tie-break.
        calls: Upstream calls made for it so far (pages and retries).
        attempts: Failed attempts of the current call (5xx, timeouts).
        ready_at: Not before this time (back-off after a failure).
        dispatched: Whether any call was made yet (for wait metrics).
    """

    target: Target
    rank: int
    sequence: int
    waiters: list[W] = dataclasses.field(default_factory=list)
    pages: OfficerPages = dataclasses.field(default_factory=OfficerPages)
    calls: int = 0
    attempts: int = 0
    ready_at: float = 0.0
    dispatched: bool = False
    queued: bool = False
    entry: int = 0


class Scheduler(Generic[W]):
    """The gateway's in-memory queue of jobs (see the module docstring)."""

    def __init__(self) -> None:
        self._jobs: dict[tuple[str, str], Job[W]] = {}
        self._ready: list[tuple[int, int, int, Job[W]]] = []
        self._delayed: list[tuple[float, int, Job[W]]] = []
        self._entries = itertools.count()
        self._held: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._jobs)

    def held(self, rank: int) -> int:
        """Requests of priority ``rank`` held (queued or in flight)."""
        return self._held.get(rank, 0)

    def jobs(self) -> Iterator[Job[W]]:
        """Every job, queued or in flight."""
        return iter(list(self._jobs.values()))

    def add(self, target: Target, waiter: W, sequence: int) -> tuple[Job[W], bool]:
        """Queue a request; returns its job and whether it joined an existing one."""
        rank = waiter.rank
        self._held[rank] = self._held.get(rank, 0) + 1
        job = self._jobs.get(target.key)
        if job is not None:
            job.waiters.append(waiter)
            if rank < job.rank:
                job.rank = rank
                if job.queued and job.ready_at <= 0:
                    self._push(job)  # the old heap entry becomes stale
            return job, True
        job = Job(target=target, rank=rank, sequence=sequence, waiters=[waiter])
        self._jobs[target.key] = job
        self._push(job)
        return job, False

    def _push(self, job: Job[W]) -> None:
        job.queued = True
        job.entry = next(self._entries)
        heapq.heappush(self._ready, (job.rank, job.sequence, job.entry, job))

    def _promote(self, now: float) -> None:
        while self._delayed and self._delayed[0][0] <= now:
            _, entry, job = heapq.heappop(self._delayed)
            if job.queued and job.entry == entry:
                job.ready_at = 0.0
                self._push(job)

    def peek(self, now: float) -> Job[W] | None:
        """The job that would go next at ``now`` (without taking it)."""
        self._promote(now)
        while self._ready:
            _, _, entry, job = self._ready[0]
            if job.queued and job.entry == entry:
                return job
            heapq.heappop(self._ready)
        return None

    def pop(self, now: float) -> Job[W] | None:
        """Take the next job for a call at ``now``: best rank, then earliest arrival."""
        job = self.peek(now)
        if job is not None:
            heapq.heappop(self._ready)
            job.queued = False
        return job

    def next_ready_at(self) -> float | None:
        """When the earliest backing-off job becomes ready (None if none is)."""
        while self._delayed:
            _, entry, job = self._delayed[0]
            if job.queued and job.entry == entry:
                return self._delayed[0][0]
            heapq.heappop(self._delayed)
        return None

    def requeue(self, job: Job[W], ready_at: float = 0.0) -> None:
        """Put a job back for its next call (next page, or a retry after ``ready_at``)."""
        if ready_at > 0:
            job.queued = True
            job.ready_at = ready_at
            job.entry = next(self._entries)
            heapq.heappush(self._delayed, (ready_at, job.entry, job))
        else:
            job.ready_at = 0.0
            self._push(job)

    def finish(self, job: Job[W]) -> list[W]:
        """Remove a job; returns the requests it answers."""
        if self._jobs.get(job.target.key) is job:
            del self._jobs[job.target.key]
        job.queued = False
        for waiter in job.waiters:
            self._held[waiter.rank] = max(0, self._held.get(waiter.rank, 0) - 1)
        return job.waiters

    def drain(self) -> list[Job[W]]:
        """Remove every job that has no call in flight (queued or backing off)."""
        taken = [job for job in self._jobs.values() if job.queued]
        for job in taken:
            self.finish(job)
        return taken
