"""The ops HTTP port every service exposes: /healthz, /readyz and /metrics (Prometheus text)."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from leadpipe_runtime.health import CheckResult, HealthRegistry, Status


def _body(results: dict[str, CheckResult]) -> tuple[int, dict[str, object]]:
    failing = any(result.status is Status.FAIL for result in results.values())
    degraded = any(result.status is Status.DEGRADED for result in results.values())
    overall = Status.FAIL if failing else Status.DEGRADED if degraded else Status.OK
    checks = {
        name: {
            "status": result.status.value,
            **({"detail": result.detail} if result.detail else {}),
        }
        for name, result in results.items()
    }
    return (503 if failing else 200), {"status": overall.value, "checks": checks}


class OpsServer:
    """Serves the ops endpoints on ``host:port`` (port 0 picks a free port, for tests)."""

    def __init__(
        self,
        health: HealthRegistry,
        host: str,
        port: int,
        *,
        registry: CollectorRegistry = REGISTRY,
    ) -> None:
        self._health = health
        self._host = host
        self._port = port
        self._registry = registry
        self._runner: web.AppRunner | None = None
        self.app = web.Application()
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/readyz", self._readyz)
        self.app.router.add_get("/metrics", self._metrics)

    @property
    def port(self) -> int:
        """The bound port (after ``start``)."""
        if self._runner is None:
            return self._port
        for site in self._runner.sites:
            server = getattr(site, "_server", None)
            if server is not None and server.sockets:
                return int(server.sockets[0].getsockname()[1])
        return self._port

    async def start(self) -> None:
        """Bind and serve."""
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()

    async def stop(self) -> None:
        """Stop serving."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        status, body = _body(await self._health.liveness())
        return web.json_response(body, status=status)

    async def _readyz(self, request: web.Request) -> web.Response:
        status, body = _body(await self._health.readiness())
        return web.json_response(body, status=status)

    async def _metrics(self, request: web.Request) -> web.Response:
        response = web.Response(body=generate_latest(self._registry))
        response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
        response.charset = "utf-8"
        return response
