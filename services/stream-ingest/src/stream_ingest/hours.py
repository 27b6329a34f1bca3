"""Following the streams only within business hours (``LEADPIPE_STREAM_HOURS``).

``ScheduledStream`` wraps a stream's follower: outside the hours the follower is not running, so
nothing is connected; at closing time it is cancelled (disconnecting), and at opening time it is
started again, resuming from its checkpoint. Companies House replays events from a timepoint, so
nothing is lost as long as the closed period is shorter than the stream's retention.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from leadpipe_contracts import utcnow
from leadpipe_runtime import BusinessHours, CheckResult, Status

log = logging.getLogger(__name__)
# Closer than this to a change of state, wait for it rather than (re)connecting for a moment.
_SETTLE = dt.timedelta(seconds=1)


class ScheduledStream:
    """Runs ``run`` while ``hours`` are open and cancels it while they are closed."""

    def __init__(
        self,
        name: str,
        hours: BusinessHours,
        run: Callable[[], Awaitable[None]],
        check: Callable[[], Awaitable[CheckResult]],
        *,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.name = name
        self.hours = hours
        self.closed_until: dt.datetime | None = None
        self._run = run
        self._check = check
        self._clock = clock

    async def run(self) -> None:
        """Follow the schedule until cancelled."""
        while True:
            now = self._clock()
            change = self.hours.next_change(now)
            if change is None:
                self.closed_until = None
                await self._run()
                return
            remaining = (change - now).total_seconds()
            if not self.hours.is_open(now):
                if self.closed_until != change:
                    log.info("stream %s closed until %s", self.name, self.hours.local(change))
                self.closed_until = change
                await asyncio.sleep(remaining)
                continue
            self.closed_until = None
            if change - now < _SETTLE:
                await asyncio.sleep(remaining)
                continue
            log.info("stream %s open until %s", self.name, self.hours.local(change))
            deadline = asyncio.timeout(remaining)
            try:
                async with deadline:
                    await self._run()
                return
            except TimeoutError:
                if not deadline.expired():
                    raise
            log.info("stream %s disconnected at closing time", self.name)

    async def check(self) -> CheckResult:
        """``ok`` with "closed until …" while closed, else the stream's own health."""
        if self.closed_until is not None:
            return CheckResult(Status.OK, f"closed until {self.hours.local(self.closed_until)}")
        return await self._check()
