"""Composition root of webhook-receiver: the HTTP endpoint, its JetStream store, erasure replies."""

from __future__ import annotations

from leadpipe_bus import Publisher
from leadpipe_runtime import (
    CheckResult,
    Components,
    ServiceContext,
    ServiceDefinition,
    Status,
    nothing_held_erasure,
)
from webhook_receiver.adapters import JetStreamStore
from webhook_receiver.app import create_app
from webhook_receiver.ratelimit import RateLimiter
from webhook_receiver.server import HttpServer
from webhook_receiver.settings import Settings


async def build(context: ServiceContext[Settings]) -> Components:
    """Assemble the HTTP server task and the erasure consumer."""
    settings = context.settings
    timeout = settings.publish_timeout_seconds
    # A publisher of its own: the HTTP answer must not wait the shared publisher's long deadline.
    publisher = Publisher(
        context.js, context.topology, context.name, ack_timeout=timeout / 2, deadline=timeout
    )
    app = create_app(
        secret=settings.webhook_secret.reveal(),
        store=JetStreamStore(context.nats, publisher, timeout),
        limiter=RateLimiter(settings.rate_limit_requests, settings.rate_limit_window_seconds),
        max_body_bytes=settings.max_body_bytes,
        trust_forwarded_for=settings.trust_forwarded_for,
    )
    server = HttpServer(app, settings.http_host, settings.http_port)

    async def http_check() -> CheckResult:
        return CheckResult(Status.OK) if server.started else CheckResult(Status.FAIL, "starting")

    context.health.add_readiness("http", http_check)
    # No request body is stored, so an erasure finds nothing here; it is still confirmed.
    return Components(subscriptions=[nothing_held_erasure(context)], tasks={"http": server.serve})


definition = ServiceDefinition(
    name="webhook-receiver",
    settings_type=Settings,
    build=build,
    migrations="webhook_receiver.migrations",
)
