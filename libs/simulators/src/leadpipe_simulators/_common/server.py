"""The server lifecycle shared by the simulators: start on a host and port, expose ``url``, stop.

Subclasses build the aiohttp application; this base owns the runner, the scheduler and the
/_sim/ clock and request-log endpoints that every simulator offers.
"""

from __future__ import annotations

import abc
from types import TracebackType
from typing import Self

from aiohttp import web

from leadpipe_simulators._common.clock import SimClock
from leadpipe_simulators._common.http import json_response, read_json
from leadpipe_simulators._common.request_log import RequestLog
from leadpipe_simulators._common.scheduler import Scheduler

ADMIN_PREFIX = "/_sim/"


def is_admin_path(path: str) -> bool:
    """Whether ``path`` is a simulator control endpoint (never rate limited, faulted or logged)."""
    return path.startswith(ADMIN_PREFIX)


class HttpSimulator(abc.ABC):
    """An aiohttp server with a simulated clock, a scheduler and a request log."""

    def __init__(self, clock: SimClock, request_log_size: int) -> None:
        self.clock = clock
        self.scheduler = Scheduler(clock)
        self.request_log = RequestLog(request_log_size)
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    @abc.abstractmethod
    def _build_app(self) -> web.Application:
        """The application with the simulated API's routes and middleware."""

    @abc.abstractmethod
    async def _on_start(self) -> None:
        """Acquire what the simulator needs while running (called once listening)."""

    @abc.abstractmethod
    async def _on_stop(self) -> None:
        """Release what :meth:`_on_start` acquired."""

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``; only valid after :meth:`start`."""
        if self._url is None:
            raise RuntimeError("the simulator is not running; call start() first")
        return self._url

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._runner is not None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host``:``port`` (0 picks a free port) and return the base URL."""
        if self._runner is not None:
            return self.url
        app = self._build_app()
        app.router.add_get(ADMIN_PREFIX + "clock", self._admin_clock)
        app.router.add_post(ADMIN_PREFIX + "clock/advance", self._admin_advance)
        app.router.add_get(ADMIN_PREFIX + "requests", self._admin_requests)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            await self._on_start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
        self._url = f"http://{shown_host}:{bound_port}"
        self.scheduler.start()
        return self._url

    async def stop(self) -> None:
        """Stop serving, cancel scheduled work and release resources (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        await self.scheduler.stop()
        await self._on_stop()
        await runner.cleanup()
        self._url = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _admin_clock(self, request: web.Request) -> web.Response:
        return json_response({"now": self.clock.now(), "time_scale": self.clock.time_scale})

    async def _admin_advance(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        seconds = body.get("seconds") if isinstance(body, dict) else None
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            message = 'body must be {"seconds": <non-negative number>}'
            return json_response({"error": message}, 400)
        return json_response({"now": self.clock.advance(float(seconds))})

    async def _admin_requests(self, request: web.Request) -> web.Response:
        path = request.query.get("path")
        records = [r.to_dict() for r in self.request_log.records(path)]
        return json_response(
            {
                "total": self.request_log.total,
                "by_status": {str(k): v for k, v in sorted(self.request_log.by_status.items())},
                "requests": records,
            }
        )
