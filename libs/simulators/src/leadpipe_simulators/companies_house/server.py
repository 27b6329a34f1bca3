"""``CompaniesHouseSimulator``: the REST and Streaming APIs on their own ports, one population.

async with CompaniesHouseSimulator(SimulatorConfig(seed=7, size=20_000)) as sim:
    sim.rest_url, sim.stream_url        # http://127.0.0.1:<port>
    sim.population.company("SC000001")
    sim.stream.enter_strike_off(number, kind="voluntary")
    sim.rest.faults.add(Fault("status", count=2, status=502))
"""

from __future__ import annotations

from types import TracebackType

from aiohttp import web

from .config import SimulatorConfig
from .population import Population
from .rest import RestSimulator
from .stream import StreamSimulator


class CompaniesHouseSimulator:
    """Both Companies House HTTP services over a shared, deterministic population."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.population = Population(
            self.config.seed,
            self.config.size,
            as_of=self.config.as_of,
            officer_counts=self.config.officer_counts,
        )
        self.rest = RestSimulator(self.population, self.config)
        self.stream = StreamSimulator(self.population, self.config)
        self._runners: list[web.AppRunner] = []
        self.rest_url = ""
        self.stream_url = ""

    async def start(
        self, host: str = "127.0.0.1", rest_port: int = 0, stream_port: int = 0
    ) -> None:
        """Listen on ``host``; port 0 picks a free port (read ``rest_url``/``stream_url``)."""
        if self._runners:
            raise RuntimeError("already started")
        self.rest_url = await self._serve(self.rest.app, host, rest_port, cancel_on_close=False)
        # Stream handlers are cancelled when the client goes away, so a dropped connection
        # stops counting against the key's connection limit at once.
        self.stream_url = await self._serve(
            self.stream.app, host, stream_port, cancel_on_close=True
        )
        if self.config.live_rate > 0:
            self.stream.start_live(self.config.live_rate)

    async def _serve(
        self, app: web.Application, host: str, port: int, *, cancel_on_close: bool
    ) -> str:
        # A short shutdown grace: open streams are ended by stop() and need no 60 s wait.
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=cancel_on_close, shutdown_timeout=2.0
        )
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[-1][1]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{bound}"

    async def stop(self) -> None:
        self.stream.stop_live()
        self.stream.disconnect(mode="close")
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()

    async def __aenter__(self) -> CompaniesHouseSimulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
