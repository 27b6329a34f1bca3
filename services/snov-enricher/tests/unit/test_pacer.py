"""Client-side pacing: no trailing window ever holds more than the limit."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from snov_enricher.adapters.pacer import Pacer


class FakeTime:
    """A clock that only moves when the pacer sleeps or the test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


@settings(max_examples=60, deadline=None)
@given(
    limit=st.integers(1, 6),
    gaps=st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=40),
)
async def test_no_window_ever_holds_more_than_the_limit(limit: int, gaps: list[float]) -> None:
    time = FakeTime()
    pacer = Pacer(limit, 5.0, guard=0.5, clock=time, sleep=time.sleep)
    granted: list[float] = []
    for gap in gaps:
        time.now += gap
        await pacer.acquire()
        granted.append(time.now)
    for start in granted:
        assert sum(1 for t in granted if start <= t < start + 5.0) <= limit


async def test_a_full_window_waits_until_its_oldest_slot_expires() -> None:
    time = FakeTime()
    pacer = Pacer(2, 60.0, clock=time, sleep=time.sleep)
    await pacer.acquire()
    time.now = 10.0
    await pacer.acquire()
    await pacer.acquire()
    assert time.now == 60.0
