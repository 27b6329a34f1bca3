"""After start-up a service's heap is frozen and young collections are rarer."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from leadpipe_runtime.heap import YOUNG_THRESHOLD, settle_after_start


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_what_exists_at_start_up_is_frozen_and_young_collections_wait_for_more_allocations() -> (
    None
):
    _, middle, old = gc.get_threshold()
    gc.unfreeze()
    built_at_start_up = [[] for _ in range(1_000)]  # lists are tracked by the collector

    settle_after_start()

    assert gc.get_freeze_count() >= len(built_at_start_up)
    assert gc.get_threshold() == (YOUNG_THRESHOLD, middle, old)
