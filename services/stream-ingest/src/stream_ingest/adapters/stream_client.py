"""The Companies House Streaming API client: one long-lived GET per stream (reference B.3-B.6).

Reads newline-delimited JSON, buffering partial lines across chunks; bare newlines are
heartbeats. No byte for ``idle_timeout`` seconds (heartbeats included) → reconnect. Reconnects
use capped exponential backoff with full jitter; ``429`` waits at least ``rate_limit_wait``;
``416`` (timepoint too old) and ``400`` (timepoint refused) are reported as a gap and the stream
resumes without a timepoint; ``401`` is reported and retried at the backoff cap.

The client owns no state: where to resume comes from ``resume_at``, lines go to ``on_lines``,
and what happens to the connection goes to ``on_state``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import random
from collections.abc import Awaitable, Callable

import aiohttp

log = logging.getLogger(__name__)

_READ_BUFFER = 4 * 1024 * 1024


class StreamState(enum.StrEnum):
    """Connection states, as published in ``StreamStatus.state``."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    SILENT = "silent"
    RATE_LIMITED = "rate_limited"
    UNAUTHORISED = "unauthorised"
    STOPPED = "stopped"


@dataclasses.dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with full jitter."""

    initial: float
    maximum: float

    def delay(self, attempt: int) -> float:
        """The wait before reconnect number ``attempt`` (1-based)."""
        ceiling = min(self.maximum, self.initial * 2 ** max(0, attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


class GapError(Exception):
    """The stream refused the timepoint (416 or 400): history between was lost."""


ResumeAt = Callable[[], Awaitable[int | None]]
OnLines = Callable[[list[bytes]], Awaitable[None]]
OnGap = Callable[[int | None], Awaitable[None]]
OnState = Callable[[StreamState, str | None], None]


class StreamClient:
    """Follows one stream for ever (until cancelled).

    Args:
        session: An aiohttp session (its lifetime is the caller's).
        base_url: ``https://stream.companieshouse.gov.uk`` or a simulator.
        key: The streaming key (Basic auth user name, empty password).
        stream: Path of the stream (``companies``).
        batch: Most lines handed to ``on_lines`` at once.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        key: str,
        stream: str,
        *,
        idle_timeout: float,
        backoff: Backoff,
        rate_limit_wait: float,
        batch: int,
    ) -> None:
        self._session = session
        self._url = f"{base_url.rstrip('/')}/{stream}"
        self._authorization = aiohttp.encode_basic_auth(key, "")
        self.stream = stream
        self._idle_timeout = idle_timeout
        self._backoff = backoff
        self._rate_limit_wait = rate_limit_wait
        self._batch = batch
        self.connected = False
        self.heartbeats = 0
        self.connections = 0

    async def run(
        self, resume_at: ResumeAt, on_lines: OnLines, on_gap: OnGap, on_state: OnState
    ) -> None:
        """Connect, read and reconnect until cancelled."""
        attempt = 0
        while True:
            timepoint = await resume_at()
            wait: float | None = None
            try:
                on_state(StreamState.CONNECTING, None)
                received = await self._follow(timepoint, on_lines, on_state)
                # A clean end (the server's connection limit, nightly drop): come back soon.
                attempt = 0 if received else attempt + 1
                reason = "stream ended"
            except GapError as exc:
                log.warning("stream %s refused timepoint %s: %s", self.stream, timepoint, exc)
                await on_gap(timepoint)
                attempt = 0
                reason = str(exc)
                wait = 0.0
            except _RateLimited:
                on_state(StreamState.RATE_LIMITED, "429 Too Many Requests")
                wait = max(self._rate_limit_wait, self._backoff.delay(attempt + 1))
                attempt += 1
                reason = "rate limited"
            except _Unauthorised:
                on_state(StreamState.UNAUTHORISED, "401: the streaming key was refused")
                wait = self._backoff.maximum
                reason = "unauthorised"
            except (aiohttp.ClientError, TimeoutError, _UnexpectedStatus) as exc:
                attempt += 1
                reason = f"{type(exc).__name__}: {exc}"
            except Exception as exc:
                # Processing failed (Postgres or NATS unavailable …): nothing was checkpointed,
                # so reconnecting replays the batch once the dependency is back.
                log.exception("stream %s: processing failed", self.stream)
                attempt += 1
                reason = f"processing failed: {type(exc).__name__}"
                wait = min(self._backoff.delay(attempt), 5.0)
            finally:
                self.connected = False
            if wait is None:
                wait = self._backoff.delay(max(attempt, 1))
            on_state(StreamState.RECONNECTING, f"{reason}; reconnecting in {wait:.1f}s")
            log.info(
                "stream %s disconnected (%s); reconnecting in %.1fs", self.stream, reason, wait
            )
            if wait:
                await asyncio.sleep(wait)

    async def _follow(self, timepoint: int | None, on_lines: OnLines, on_state: OnState) -> bool:
        params = {"timepoint": str(timepoint)} if timepoint is not None else None
        timeout = aiohttp.ClientTimeout(
            total=None, connect=30, sock_connect=30, sock_read=self._idle_timeout
        )
        received = False
        async with self._session.get(
            self._url,
            params=params,
            timeout=timeout,
            read_bufsize=_READ_BUFFER,
            headers={"Accept": "application/json", "Authorization": self._authorization},
        ) as response:
            if response.status in (416, 400):
                body = (await response.text())[:200]
                raise GapError(f"{response.status} for timepoint {timepoint}: {body}")
            if response.status == 429:
                raise _RateLimited
            if response.status == 401:
                raise _Unauthorised
            if response.status != 200:
                raise _UnexpectedStatus(f"HTTP {response.status}")
            self.connected = True
            self.connections += 1
            on_state(StreamState.CONNECTED, None)
            content = response.content
            pending = b""
            while True:
                chunk = await content.readany()
                if not chunk:
                    return received
                pieces = [pending, chunk]
                while more := content.read_nowait():
                    pieces.append(more)
                parts = b"".join(pieces).split(b"\n")
                pending = parts.pop()  # the partial line after the last newline
                if not parts:
                    continue
                lines = [line for line in parts if line and not line.isspace()]
                self.heartbeats += len(parts) - len(lines)
                for start in range(0, len(lines), self._batch):
                    await on_lines(lines[start : start + self._batch])
                    received = True


class _RateLimited(Exception):
    pass


class _Unauthorised(Exception):
    pass


class _UnexpectedStatus(Exception):
    pass
