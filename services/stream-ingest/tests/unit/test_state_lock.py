"""The state lock tells a catching-up stream that another writer waits for its turn."""

from __future__ import annotations

import asyncio

from stream_ingest.ingest import StateLock


async def test_the_state_lock_counts_the_writers_waiting_for_it() -> None:
    lock = StateLock()
    await lock.acquire()
    assert lock.waiting == 0

    waiter = asyncio.create_task(lock.acquire())
    await asyncio.sleep(0)  # let the waiter reach the lock
    assert lock.waiting == 1

    lock.release()
    await waiter
    assert lock.waiting == 0
    assert lock.locked()
    lock.release()
