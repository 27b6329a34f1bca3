"""The crash schedule and the process harness the resilience suite is built on."""

from __future__ import annotations

import itertools
import os
import random
from pathlib import Path

import pytest

from leadpipe_embedded import free_port
from leadpipe_testing import poll_until
from leadpipe_testing.chaos import Killer, kill_schedule
from leadpipe_testing.processes import ServiceProcess

TARGETS = ("a", "b", "c", "d", "e", "f", "g")


@pytest.mark.parametrize("seed", range(20))
def test_a_schedule_kills_every_target_spread_over_the_span_never_twice_in_a_row(
    seed: int,
) -> None:
    schedule = kill_schedule(random.Random(seed), TARGETS, 14, 40.0)
    assert len(schedule) == 14
    assert {kill.target for kill in schedule} == set(TARGETS)
    assert all(a.target != b.target for a, b in itertools.pairwise(schedule))
    slot = 40.0 / 14
    for index, kill in enumerate(schedule):
        assert index * slot < kill.at < (index + 1) * slot
        assert 0.2 <= kill.downtime <= 2.0


def test_the_same_seed_gives_the_same_schedule() -> None:
    first = kill_schedule(random.Random(7), TARGETS, 9, 20.0)
    assert first == kill_schedule(random.Random(7), TARGETS, 9, 20.0)
    assert first != kill_schedule(random.Random(8), TARGETS, 9, 20.0)


def test_a_schedule_needs_a_kill_per_target() -> None:
    with pytest.raises(ValueError, match="at least one kill per target"):
        kill_schedule(random.Random(1), TARGETS, 6, 10.0)


def _process(tmp_path: Path, name: str, module: str, *args: str) -> ServiceProcess:
    return ServiceProcess(
        name, module, dict(os.environ), tmp_path / f"{name}.log", free_port(), args=args
    )


async def test_a_killed_process_is_not_a_crash_and_starts_again(tmp_path: Path) -> None:
    process = _process(tmp_path, "server", "http.server", "--bind", "127.0.0.1", "0")
    await process.start()
    try:
        assert process.running
        schedule = kill_schedule(random.Random(3), ["server"], 1, 0.2)
        # It has no /readyz, so the readiness watch gives up and records no figure.
        records = await Killer({"server": process}, schedule, ready_timeout=0.5).run()
        assert [(r.target, r.ready_after) for r in records] == [("server", None)]
        assert process.kills == 1
        assert process.exit_codes == [-9]
        assert process.starts == 2
        assert process.running
        assert not process.crashed
    finally:
        await process.stop()


async def test_a_process_that_exits_by_itself_is_a_crash(tmp_path: Path) -> None:
    process = _process(tmp_path, "short", "timeit", "-n", "1", "pass")
    await process.start()
    await poll_until(lambda: process.crashed, timeout=30, message="exited by itself")
    await process.start()
    assert process.crashes == 1
    await poll_until(lambda: not process.running, timeout=30)
    assert process.exit_codes == [0]
