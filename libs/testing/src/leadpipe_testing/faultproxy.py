"""A TCP fault proxy on loopback, for tests that put faults between a service and NATS/Postgres.

Toxiproxy's vocabulary in a few dozen lines of asyncio (its server is not in any registry this
project installs from): ``latency`` delays every chunk, ``down`` refuses new connections and cuts
open ones, ``stall`` keeps connections open but forwards nothing, ``cut`` resets every open
connection once. Only loopback addresses are proxied.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses


@dataclasses.dataclass
class Faults:
    """The faults in force; change them at any time."""

    latency: float = 0.0
    down: bool = False


class FaultProxy:
    """Listens on ``127.0.0.1:<port>`` and forwards to ``target_host:target_port``."""

    def __init__(self, target_host: str, target_port: int) -> None:
        if target_host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fault proxy only forwards to loopback")
        self._target = (target_host, target_port)
        self.faults = Faults()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.port = 0

    async def start(self) -> int:
        """Start listening; returns the proxy's port."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop listening and cut every connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        await self.cut()

    async def cut(self) -> None:
        """Reset every open connection (clients see the peer vanish)."""
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stall(self, stalled: bool) -> None:
        """Hold (or release) every byte in both directions; connections stay open."""
        if stalled:
            self._flowing.clear()
        else:
            self._flowing.set()

    async def set_down(self, down: bool) -> None:
        """Refuse (and cut) connections while down."""
        self.faults.down = down
        if down:
            await self.cut()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.faults.down:
            writer.transport.abort()
            return
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        upstream: asyncio.StreamWriter | None = None
        try:
            upstream_reader, upstream = await asyncio.open_connection(*self._target)
            await asyncio.gather(self._pipe(reader, upstream), self._pipe(upstream_reader, writer))
        except (asyncio.CancelledError, OSError):
            pass
        finally:
            # Abort, not close: a cut connection must look like a network failure to the client.
            for stream in (writer, upstream):
                if stream is not None:
                    with contextlib.suppress(Exception):
                        stream.transport.abort()
            self._connections.discard(task)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            chunk = await reader.read(65_536)
            if not chunk:
                writer.close()
                return
            await self._flowing.wait()
            if self.faults.latency:
                await asyncio.sleep(self.faults.latency)
            writer.write(chunk)
            await writer.drain()
