"""The read endpoints' connections are handed out first come, first served."""

from __future__ import annotations

import asyncio

import pytest

from leadpipe_runtime import Service
from query_api.adapters.readmodel import ReadPool
from query_api.settings import Settings

pytestmark = pytest.mark.integration


async def test_reads_get_connections_in_the_order_they_asked_for_them(
    service: Service[Settings],
) -> None:
    reads = ReadPool(service.db, size=2)
    await reads.open()
    asked: list[int] = []
    granted: list[int] = []

    async def read(number: int) -> None:
        asked.append(number)
        async with reads.acquire() as connection:
            granted.append(number)
            await connection.fetchval("SELECT 1")

    try:
        # Newcomers keep arriving while earlier reads wait, as under load: none may take a
        # connection released for a read that was already waiting (the tail latency of a pool
        # whose woken waiter can find its connection taken and queue again at the back).
        reads_in_flight = []
        for number in range(400):
            reads_in_flight.append(asyncio.create_task(read(number)))
            if number % 7 == 0:
                await asyncio.sleep(0)
        await asyncio.gather(*reads_in_flight)
    finally:
        await reads.close()

    assert granted == asked
