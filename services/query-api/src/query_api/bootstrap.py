"""Composition root of query-api: projections, the HTTP server and the webhook dispatcher."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import msgspec
import uvicorn

from leadpipe_bus import Subscription
from leadpipe_runtime import Components, ServiceContext, ServiceDefinition
from query_api.adapters.access import AccessStore
from query_api.api import AppState, create_app
from query_api.auth import Authenticator
from query_api.projections import Projector
from query_api.ratelimit import RateLimiter
from query_api.settings import Settings
from query_api.webhooks import Dispatcher

log = logging.getLogger(__name__)


class HttpServer(uvicorn.Server):
    """uvicorn without its own signal handlers: the runtime owns SIGTERM and stops the task."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Leave signals alone."""
        yield


def app_state(context: ServiceContext[Settings]) -> AppState:
    """The HTTP layer's state from the service context."""
    access = AccessStore(context.db)
    return AppState(
        settings=context.settings,
        db=context.db,
        outbox=context.outbox,
        topology=context.topology,
        authenticator=Authenticator(access.find_key, access.find_user),
        access=access,
        limiter=RateLimiter(context.settings.rate_limit_window_seconds),
        health=context.health,
        js=context.js,
    )


async def build(context: ServiceContext[Settings]) -> Components:
    """Assemble the projection consumers, the HTTP server and the webhook dispatcher."""
    settings = context.settings
    projector = Projector(context.db.transaction, context.outbox)
    subscriptions: list[Subscription[Any]] = [
        Subscription(spec, msgspec.Raw, projector.handle)
        for spec in context.topology.consumers_of("query-api")
    ]
    state = app_state(context)
    server = HttpServer(
        uvicorn.Config(
            create_app(state),
            host=settings.http_host,
            port=settings.http_port,
            lifespan="off",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=3,
            server_header=False,
        )
    )

    async def serve_http() -> None:
        await state.reads.open()
        try:
            await server.serve()
        finally:
            state.stopping.set()
            if server.started:
                server.should_exit = True
                await server.shutdown()
            await state.reads.close()

    dispatcher = Dispatcher(
        context.db.pool,
        max_attempts=settings.webhook_max_attempts,
        timeout=settings.webhook_timeout_seconds,
        retry_base=settings.webhook_retry_base_seconds,
    )
    log.info("query-api listening", extra={"host": settings.http_host, "port": settings.http_port})
    return Components(
        subscriptions=subscriptions,
        tasks={"http": serve_http, "webhook-dispatcher": dispatcher.run},
    )


definition = ServiceDefinition(
    name="query-api",
    settings_type=Settings,
    build=build,
    migrations="query_api.migrations",
)
