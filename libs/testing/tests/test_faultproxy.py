"""The fault proxy forwards bytes, and injects latency, stalls, outages and cuts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from leadpipe_testing import FaultProxy


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


@pytest.fixture
async def proxy(echo_port: int) -> AsyncIterator[FaultProxy]:
    running = FaultProxy("127.0.0.1", echo_port)
    await running.start()
    yield running
    await running.stop()


async def _roundtrip(port: int, payload: bytes, timeout: float = 2.0) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(payload)
        await writer.drain()
        return await asyncio.wait_for(reader.readexactly(len(payload)), timeout)
    finally:
        writer.close()


async def test_bytes_pass_through_unchanged(proxy: FaultProxy) -> None:
    assert await _roundtrip(proxy.port, b"hello") == b"hello"


async def test_latency_delays_each_direction(proxy: FaultProxy) -> None:
    proxy.faults.latency = 0.2
    started = time.monotonic()
    assert await _roundtrip(proxy.port, b"x") == b"x"
    assert time.monotonic() - started >= 0.4


async def test_stall_holds_bytes_until_released(proxy: FaultProxy) -> None:
    proxy.stall(True)
    with pytest.raises(TimeoutError):
        await _roundtrip(proxy.port, b"x", timeout=0.3)
    proxy.stall(False)
    assert await _roundtrip(proxy.port, b"y") == b"y"


async def test_down_refuses_connections_and_cut_resets_open_ones(proxy: FaultProxy) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    await proxy.set_down(True)
    assert await asyncio.wait_for(reader.read(10), 2) == b""
    writer.close()
    with pytest.raises((asyncio.IncompleteReadError, ConnectionError)):
        await _roundtrip(proxy.port, b"z")
    await proxy.set_down(False)
    assert await _roundtrip(proxy.port, b"z") == b"z"


def test_only_loopback_targets_are_allowed() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy("10.0.0.1", 80)
