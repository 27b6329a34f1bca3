"""Connecting to NATS so that a service never gives up on the broker.

nats-py's defaults stop reconnecting after 60 attempts two seconds apart, leaving a service
closed for good after a two-minute broker outage (reliability note §1.7). Services here connect
with unlimited reconnects, and keep retrying the *initial* connection too, so start order does
not matter.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

import nats
from nats.aio.client import Client as NatsClient

log = logging.getLogger(__name__)


class ConnectionState:
    """Whether the client is connected right now; read by readiness checks."""

    def __init__(self) -> None:
        self.connected = False
        self.disconnects = 0
        self.closing = False

    async def on_disconnected(self) -> None:
        if self.connected and not self.closing:
            self.disconnects += 1
            log.warning("nats disconnected; reconnecting")
        self.connected = False

    async def on_reconnected(self) -> None:
        self.connected = True
        log.info("nats reconnected")

    async def on_error(self, error: Exception) -> None:
        log.warning("nats client error: %s", error)

    async def on_closed(self) -> None:
        self.connected = False


async def connect(
    url: str,
    *,
    name: str,
    state: ConnectionState | None = None,
    initial_timeout: float | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> NatsClient:
    """Connect to NATS, retrying the first connection with capped, jittered backoff.

    Args:
        url: One or more comma-separated server URLs.
        name: Client name shown in server monitoring.
        state: Receives connect/disconnect notifications for health checks.
        initial_timeout: Give up on the first connection after this many seconds (None: never).

    Raises:
        TimeoutError: ``initial_timeout`` elapsed without a connection.
    """
    state = state or ConnectionState()
    loop = asyncio.get_running_loop()
    deadline = None if initial_timeout is None else loop.time() + initial_timeout
    delay = 0.2
    while True:
        try:
            client = await nats.connect(
                servers=url.split(","),
                name=name,
                max_reconnect_attempts=-1,
                reconnect_time_wait=1,
                connect_timeout=3,
                ping_interval=10,
                max_outstanding_pings=3,
                disconnected_cb=state.on_disconnected,
                reconnected_cb=state.on_reconnected,
                error_cb=state.on_error,
                closed_cb=state.on_closed,
            )
        except (TimeoutError, OSError, nats.errors.Error) as exc:
            if deadline is not None and loop.time() >= deadline:
                raise TimeoutError(f"could not connect to NATS at {url}: {exc}") from exc
            log.warning("nats not reachable yet (%s); retrying in %.1fs", exc, delay)
            await sleep(delay)
            delay = min(delay * 2, 5.0) * random.uniform(0.8, 1.2)
            continue
        state.connected = True
        return client
