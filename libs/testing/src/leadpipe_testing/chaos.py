"""Crash injection: a seeded schedule of ``kill -9`` + restart over a set of service processes.

``kill_schedule`` draws when and whom to kill (every target at least once, the rest at random,
never the same target twice in a row); ``Killer`` carries the schedule out against
``ServiceProcess`` objects and records what it did and how long each incarnation took to be ready
again. The seed makes a failing run reproducible: print it with the figures.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections import Counter
from collections.abc import Mapping, Sequence

from leadpipe_testing.processes import ServiceProcess


@dataclasses.dataclass(frozen=True)
class Kill:
    """One planned crash.

    Attributes:
        at: Seconds after the schedule starts.
        target: The name of the process to kill.
        downtime: Seconds the process stays dead before it is started again.
    """

    at: float
    target: str
    downtime: float


@dataclasses.dataclass(frozen=True)
class KillRecord:
    """One crash as it happened.

    Attributes:
        at: Seconds after the schedule started when the SIGKILL was sent.
        target: The process killed.
        pid: Its process id.
        was_ready: Whether it answered ``/readyz`` just before (False: killed while starting).
        restarted_at: Seconds after the schedule started when the new incarnation was started.
        ready_after: Seconds from that restart to ``/readyz`` 200 (None: not ready in time).
    """

    at: float
    target: str
    pid: int | None
    was_ready: bool
    restarted_at: float
    ready_after: float | None


def kill_schedule(
    rng: random.Random,
    targets: Sequence[str],
    kills: int,
    span: float,
    *,
    downtime: tuple[float, float] = (0.2, 2.0),
) -> list[Kill]:
    """Plan ``kills`` crashes spread over ``span`` seconds.

    The span is cut into ``kills`` equal slots and each crash falls at a random point of its
    slot, so crashes are random yet never bunched into one instant.

    Args:
        rng: The seeded source of every choice.
        targets: Names of the processes; each is killed at least once.
        kills: Crashes in all (at least ``len(targets)``).
        span: Seconds over which they are spread.
        downtime: Bounds of the random time a killed process stays down.

    Raises:
        ValueError: Fewer kills than targets, or a span that is not positive.
    """
    if kills < len(targets) or span <= 0:
        raise ValueError("need at least one kill per target and a positive span")
    order = list(targets)
    rng.shuffle(order)
    while len(order) < kills:
        choices = [name for name in targets if name != order[-1]] or list(targets)
        order.append(rng.choice(choices))
    slot = span / kills
    return [
        Kill(
            at=index * slot + rng.uniform(0.1, 0.9) * slot,
            target=target,
            downtime=rng.uniform(*downtime),
        )
        for index, target in enumerate(order)
    ]


class Killer:
    """Carries out a kill schedule against named processes."""

    def __init__(
        self,
        processes: Mapping[str, ServiceProcess],
        schedule: Sequence[Kill],
        *,
        ready_timeout: float = 120.0,
    ) -> None:
        unknown = {kill.target for kill in schedule} - set(processes)
        if unknown:
            raise ValueError(f"no process named {sorted(unknown)}")
        self.processes = processes
        self.schedule = sorted(schedule, key=lambda kill: kill.at)
        self.records: list[KillRecord] = []
        self._ready_timeout = ready_timeout
        self._watchers: list[asyncio.Task[float | None]] = []

    def kills_by_target(self) -> dict[str, int]:
        """Crashes carried out per process."""
        return dict(Counter(record.target for record in self.records))

    async def run(self) -> list[KillRecord]:
        """Kill and restart as planned; returns when the last killed process is ready again."""
        started = time.monotonic()
        pending: list[tuple[Kill, float, int | None, bool, float]] = []
        for kill in self.schedule:
            # The waits are the fault plan itself (crash at t, stay down for d), not a
            # condition being awaited.
            await asyncio.sleep(max(0.0, started + kill.at - time.monotonic()))
            process = self.processes[kill.target]
            pid, was_ready = process.pid, await process.ready()
            killed_at = time.monotonic() - started
            await process.kill()
            await asyncio.sleep(kill.downtime)
            await process.start()
            restarted_at = time.monotonic() - started
            self._watchers.append(asyncio.create_task(self._time_to_ready(process)))
            pending.append((kill, killed_at, pid, was_ready, restarted_at))
        readiness = await asyncio.gather(*self._watchers)
        self.records = [
            KillRecord(killed_at, kill.target, pid, was_ready, restarted_at, ready_after)
            for (kill, killed_at, pid, was_ready, restarted_at), ready_after in zip(
                pending, readiness, strict=True
            )
        ]
        return self.records

    async def _time_to_ready(self, process: ServiceProcess) -> float | None:
        """Seconds until ``process`` is ready; None if not within the timeout or killed again."""
        began = time.monotonic()
        incarnation = process.starts
        while time.monotonic() - began < self._ready_timeout:
            if process.starts != incarnation:
                return None  # killed again before it was ready: no figure for this one
            if await process.ready():
                return time.monotonic() - began
            await asyncio.sleep(0.1)
        return None
