"""The Streaming API: ``GET /companies``, ``/filings`` and ``/officers`` (B.1-B.7).

Each connection is a long-lived chunked response of newline-delimited JSON. Without
``?timepoint=`` a client gets only events published after it connected (and an immediate
``\\n``, as CH's cache tier writes); with it, the retained history from that timepoint
*inclusive*, then live events. Bare ``\\n`` heartbeats go out every ``heartbeat_interval``.

Errors: 401 for a missing or non-stream key (REST keys included), 400 for a non-numeric or
negative timepoint, 416 for a timepoint outside the retained history (older than retained, or
beyond the next one to be published), 429 when a key already holds ``max_stream_connections``.
A client that falls so far behind that its position leaves the retained history is
disconnected (it will get 416 when it resumes, as on the live service).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from aiohttp import web

from .auth import INVALID_AUTHORIZATION, basic_auth_key
from .config import SimulatorConfig
from .event_log import EventLog, OutOfRange
from .faults import Fault, FaultInjector
from .population import Population
from .rest import json_response
from .scenarios import StreamEngine, Transition

STREAMS: Final = ("companies", "filings", "officers")
# Per-stream timepoint origins of the same order as the live service (B.4).
_FIRST_TIMEPOINT: Final = {"companies": 101_700_000, "filings": 168_500_000, "officers": 61_200_000}

DisconnectMode = Literal["close", "abort"]


@dataclass(eq=False)
class StreamConnection:
    """One open stream connection (inspectable from tests)."""

    stream: str
    key: str
    remote: str | None
    start_timepoint: int
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    stop: DisconnectMode | None = None
    events_sent: int = 0
    heartbeats_sent: int = 0
    bytes_sent: int = 0


class StreamSimulator:
    """The streaming service over a population, plus the scenario API that feeds it."""

    def __init__(self, population: Population, config: SimulatorConfig) -> None:
        self.population = population
        self.config = config
        self.keys = frozenset(config.stream_keys)
        offset = (config.seed % 1000) * 1000
        self.logs = {
            name: EventLog(name, _FIRST_TIMEPOINT[name] + offset, config.retention)
            for name in STREAMS
        }
        self.engine = StreamEngine(population, self.logs, config)
        self.faults = FaultInjector()
        self.connections: set[StreamConnection] = set()
        self.connection_counts: dict[str, int] = {
            "opened": 0,
            "rejected_401": 0,
            "rejected_400": 0,
            "rejected_416": 0,
            "rejected_429": 0,
            "faulted": 0,
        }
        self._live_task: asyncio.Task[None] | None = None
        self.app = self._build_app()

    # -- scenario API (delegates to the engine) -----------------------------------------------

    def enter_strike_off(
        self, number: str, kind: Literal["voluntary", "compulsory"] = "compulsory", **options: Any
    ) -> Transition:
        return self.engine.enter_strike_off(number, kind, **options)

    def leave_strike_off(self, number: str, reason: str | None = None) -> Transition:
        return self.engine.leave_strike_off(number, reason)

    def emit_noise(self, count: int) -> int:
        return self.engine.emit_noise(count)

    def generate_backlog(
        self,
        count: int,
        *,
        stream: str = "companies",
        strike_off_share: float = 0.02,
        pool: int | None = 20_000,
    ) -> int:
        return self.engine.generate_backlog(
            count, stream=stream, strike_off_share=strike_off_share, pool=pool
        )

    @property
    def transitions(self) -> list[Transition]:
        return self.engine.transitions

    def emitted(self, stream: str) -> int:
        """Events appended to ``stream`` so far (heartbeats excluded)."""
        return self.engine.counters.events[stream]

    # -- connection control -------------------------------------------------------------------

    def disconnect(self, stream: str | None = None, mode: DisconnectMode = "close") -> int:
        """End open connections (of one stream or all): ``close`` ends the chunked response
        cleanly, ``abort`` drops the TCP connection. Returns how many were ended."""
        ended = 0
        for conn in list(self.connections):
            if stream is None or conn.stream == stream:
                conn.stop = mode
                conn.wake.set()
                ended += 1
        return ended

    def stats(self) -> dict[str, Any]:
        return {
            "streams": {
                name: {
                    "next_timepoint": log.next_timepoint,
                    "first_retained": log.first_retained,
                    "emitted": self.engine.counters.events[name],
                    "bytes": log.bytes_appended,
                }
                for name, log in self.logs.items()
            },
            "counters": self.engine.counters.to_json(),
            "connections": {
                "open": [
                    {
                        "stream": c.stream,
                        "events_sent": c.events_sent,
                        "heartbeats_sent": c.heartbeats_sent,
                        "start_timepoint": c.start_timepoint,
                    }
                    for c in self.connections
                ],
                **self.connection_counts,
            },
            "transitions": len(self.engine.transitions),
            "faults_pending": [f.to_json() for f in self.faults.pending()],
        }

    # -- live generator -----------------------------------------------------------------------

    def start_live(self, rate: float) -> None:
        """Generate about ``rate`` events per second in the background until ``stop_live``."""
        self.stop_live()
        if rate > 0:
            self._live_task = asyncio.get_running_loop().create_task(self._live(rate))

    def stop_live(self) -> None:
        if self._live_task is not None:
            self._live_task.cancel()
            self._live_task = None

    async def _live(self, rate: float) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        done = 0
        while True:
            due = int((loop.time() - started) * rate) - done
            for _ in range(max(0, due)):
                self.engine.step()
            done += max(0, due)
            await asyncio.sleep(min(1.0, 1.0 / rate))

    # -- HTTP ---------------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application()
        for name in STREAMS:
            app.router.add_get(f"/{name}", self._stream_handler(name))
        app.router.add_get("/_sim/stats", self._admin_stats)
        app.router.add_post("/_sim/strike-off", self._admin_enter)
        app.router.add_post("/_sim/leave-strike-off", self._admin_leave)
        app.router.add_post("/_sim/noise", self._admin_noise)
        app.router.add_post("/_sim/backlog", self._admin_backlog)
        app.router.add_post("/_sim/disconnect", self._admin_disconnect)
        app.router.add_post("/_sim/faults", self._admin_add_faults)
        app.router.add_delete("/_sim/faults", self._admin_clear_faults)
        return app

    def _stream_handler(self, name: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            return await self._serve(request, name)

        return handler

    async def _serve(self, request: web.Request, name: str) -> web.StreamResponse:
        counts = self.connection_counts
        key = basic_auth_key(request.headers.get("Authorization"))
        if key is None or key not in self.keys:
            counts["rejected_401"] += 1
            return json_response(INVALID_AUTHORIZATION, 401)
        delay, fault = self.faults.take(request.path)
        if delay:
            await asyncio.sleep(delay)
        malformed = fault is not None and fault.kind == "malformed_json"
        if fault is not None and fault.kind in ("status", "drop"):
            counts["faulted"] += 1
            if fault.kind == "drop":
                if request.transport is not None:
                    request.transport.abort()
                return web.Response(status=599)
            return web.Response(text=f"{fault.status} error", status=fault.status)
        log = self.logs[name]
        raw = request.query.get("timepoint")
        if raw is not None:
            if not raw.isdigit() or not raw.isascii():
                counts["rejected_400"] += 1
                return json_response({"error": "invalid timepoint", "type": "ch:service"}, 400)
            position = int(raw)
            if not log.first_retained <= position <= log.next_timepoint:
                counts["rejected_416"] += 1
                return json_response({"error": "timepoint out of range", "type": "ch:service"}, 416)
        else:
            position = log.next_timepoint
        if sum(1 for c in self.connections if c.key == key) >= self.config.max_stream_connections:
            counts["rejected_429"] += 1
            return json_response({"error": "Too Many Requests", "type": "ch:service"}, 429)

        conn = StreamConnection(name, key, request.remote, position)
        self.connections.add(conn)
        counts["opened"] += 1
        log.subscribe(conn.wake)
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        try:
            await response.prepare(request)
            if malformed:
                # A truncated line, as a broken proxy or a cut chunk would deliver.
                await response.write(b'{"resource_kind":"company-profile","data":{"company_n\n')
            await self._pump(response, conn, log, position, send_newline=raw is None)
            if conn.stop == "abort" and request.transport is not None:
                request.transport.abort()
                return response
            with contextlib.suppress(ConnectionError):
                await response.write_eof()
        except ConnectionError:
            pass  # the client went away; nothing to tell it
        finally:
            log.unsubscribe(conn.wake)
            self.connections.discard(conn)
        return response

    async def _pump(
        self,
        response: web.StreamResponse,
        conn: StreamConnection,
        log: EventLog,
        position: int,
        *,
        send_newline: bool,
    ) -> None:
        loop = asyncio.get_running_loop()
        interval = self.config.heartbeat_interval
        chunk = self.config.stream_write_bytes
        if send_newline:
            await response.write(b"\n")
            conn.heartbeats_sent += 1
        next_beat = loop.time() + interval
        while conn.stop is None:
            stalled = self.faults.active("stall", "/" + conn.stream)
            if position < log.next_timepoint and not stalled:
                try:
                    data, after = log.read(position, chunk)
                except OutOfRange:
                    return  # fell out of retention: close; the resume will get 416
                await response.write(data)
                conn.events_sent += after - position
                conn.bytes_sent += len(data)
                position = after
            else:
                conn.wake.clear()
                timeout = next_beat - loop.time()
                if timeout > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(conn.wake.wait(), timeout)
            if loop.time() >= next_beat and conn.stop is None:
                await response.write(b"\n")
                conn.heartbeats_sent += 1
                next_beat = loop.time() + interval

    # -- admin --------------------------------------------------------------------------------

    async def _admin_stats(self, request: web.Request) -> web.Response:
        return json_response(self.stats())

    async def _admin_enter(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            kind = body.get("kind", "compulsory")
            misspelt = body.get("misspelt")
            transition = self.enter_strike_off(str(body["number"]), kind, misspelt=misspelt)
        except (ValueError, KeyError, TypeError) as error:
            return json_response({"error": str(error)}, 400)
        return json_response(_transition_json(transition))

    async def _admin_leave(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            transition = self.leave_strike_off(str(body["number"]), body.get("reason"))
        except (ValueError, KeyError, TypeError) as error:
            return json_response({"error": str(error)}, 400)
        return json_response(_transition_json(transition))

    async def _admin_noise(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            emitted = self.emit_noise(int(body.get("count", 1)))
        except (ValueError, TypeError) as error:
            return json_response({"error": str(error)}, 400)
        return json_response({"emitted": emitted})

    async def _admin_backlog(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            emitted = self.generate_backlog(
                int(body["count"]),
                stream=str(body.get("stream", "companies")),
                strike_off_share=float(body.get("strike_off_share", 0.02)),
            )
        except (ValueError, KeyError, TypeError) as error:
            return json_response({"error": str(error)}, 400)
        return json_response({"emitted": emitted})

    async def _admin_disconnect(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        mode = body.get("mode", "close")
        if mode not in ("close", "abort"):
            return json_response({"error": "mode must be close or abort"}, 400)
        return json_response({"disconnected": self.disconnect(body.get("stream"), mode)})

    async def _admin_add_faults(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            items = body if isinstance(body, list) else [body]
            faults = [Fault.from_json(item) for item in items]
        except (ValueError, TypeError) as error:
            return json_response({"error": str(error)}, 400)
        for fault in faults:
            self.faults.add(fault)
        return json_response({"pending": [f.to_json() for f in self.faults.pending()]})

    async def _admin_clear_faults(self, request: web.Request) -> web.Response:
        self.faults.clear()
        return json_response({"pending": []})


def _transition_json(transition: Transition) -> dict[str, Any]:
    return {
        "number": transition.number,
        "change": transition.change,
        "kind": transition.kind,
        "strike_off_kind": transition.strike_off_kind,
        "events": [
            {
                "stream": e.stream,
                "timepoint": e.timepoint,
                "resource_id": e.resource_id,
                "description": e.description,
            }
            for e in transition.events
        ],
    }
