"""Runs coroutines at simulated times.

One background task per simulator keeps a heap of due times, so thousands of pending task
completions or webhook retries cost one timer rather than one sleeping task each. Callbacks run as
their own asyncio tasks so a slow webhook receiver never delays other deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from leadpipe_simulators._common.clock import SimClock

_log = logging.getLogger(__name__)

# See clock._MAX_REAL_WAIT: an injected time source may move without notice.
_MAX_REAL_WAIT = 0.05

Job = Callable[[], Coroutine[Any, Any, None]]


class Scheduler:
    """Call coroutine factories once the simulated clock reaches their due time."""

    def __init__(self, clock: SimClock) -> None:
        self._clock = clock
        self._heap: list[tuple[float, int, Job]] = []
        self._order = itertools.count()
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        """Jobs not yet started plus jobs still running."""
        return len(self._heap) + len(self._running)

    def call_at(self, when: float, job: Job) -> None:
        """Run ``job()`` once simulated time reaches ``when``."""
        heapq.heappush(self._heap, (when, next(self._order), job))
        self._wake.set()

    def call_later(self, delay: float, job: Job) -> None:
        """Run ``job()`` after ``delay`` simulated seconds."""
        self.call_at(self._clock.now() + delay, job)

    def start(self) -> None:
        """Start the background loop (idempotent)."""
        if self._loop_task is None:
            self._clock.add_listener(self._wake.set)
            self._loop_task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Cancel the loop and every running job; pending jobs are discarded."""
        self._clock.remove_listener(self._wake.set)
        tasks = [t for t in (self._loop_task, *self._running) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop_task = None
        self._running.clear()
        self._heap.clear()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            now = self._clock.now()
            while self._heap and self._heap[0][0] <= now:
                _, _, job = heapq.heappop(self._heap)
                task = asyncio.get_running_loop().create_task(job())
                self._running.add(task)
                task.add_done_callback(self._finished)
            timeout = _MAX_REAL_WAIT
            if self._heap:
                timeout = min(timeout, self._clock.real_seconds_until(self._heap[0][0]))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            _log.error("scheduled job failed", exc_info=error)
