"""Serving the FastAPI application with uvicorn as one of the service's tasks.

uvicorn's own signal handlers are disabled: the runtime owns SIGTERM and cancels this task.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Generator

import uvicorn
from fastapi import FastAPI


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Leave signal handling to the runtime (uvicorn would replace its SIGTERM handler)."""
        yield


class HttpServer:
    """Runs ``app`` on ``host:port`` until cancelled."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=2,
        )
        self._server = _Server(config)

    @property
    def started(self) -> bool:
        """Whether the server is listening."""
        return bool(self._server.started)

    async def serve(self) -> None:
        """Serve until cancelled, then shut down gracefully."""
        task = asyncio.create_task(self._server.serve())
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, timeout=5)
            raise
