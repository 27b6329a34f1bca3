"""Supervised child processes for ``leadpipe up``: restart on crash, stop cleanly on request."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path

log = logging.getLogger(__name__)


@dataclasses.dataclass
class Child:
    """One supervised process.

    Attributes:
        ops_port: The ops port to poll for readiness, when the child has one.
    """

    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    log_path: Path
    ops_port: int | None = None
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0
    last_exit: int | None = None


class Supervisor:
    """Keeps children running until ``stop``; a crashed child restarts with capped backoff."""

    def __init__(self, children: Sequence[Child], *, stop_timeout: float = 30.0) -> None:
        self.children = list(children)
        self._stop_timeout = stop_timeout
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start every child under supervision."""
        for child in self.children:
            child.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._tasks.append(asyncio.create_task(self._supervise(child), name=child.name))

    async def _supervise(self, child: Child) -> None:
        while not self._stopping.is_set():
            with child.log_path.open("ab") as log_file:
                child.process = await asyncio.create_subprocess_exec(
                    *child.argv,
                    env=dict(child.env),
                    stdout=log_file,
                    stderr=asyncio.subprocess.STDOUT,
                    start_new_session=True,
                )
            child.last_exit = await child.process.wait()
            if self._stopping.is_set():
                return
            child.restarts += 1
            delay = min(30.0, 0.5 * 2 ** min(child.restarts, 6))
            log.warning(
                "%s exited with %s; restart %d in %.1fs (log: %s)",
                child.name,
                child.last_exit,
                child.restarts,
                delay,
                child.log_path,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)

    async def stop(self) -> None:
        """SIGTERM every child, wait for them, SIGKILL any that outstay the timeout."""
        self._stopping.set()
        running = [c.process for c in self.children if c.process and c.process.returncode is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        if running:
            _, pending = await asyncio.wait(
                [asyncio.create_task(p.wait()) for p in running], timeout=self._stop_timeout
            )
            for process in running:
                if process.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        process.kill()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        await asyncio.gather(*self._tasks, return_exceptions=True)
