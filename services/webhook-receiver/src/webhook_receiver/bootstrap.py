"""Composition root of webhook-receiver: wires its adapters and handlers to the shared runtime."""

from __future__ import annotations

from leadpipe_runtime import Components, ServiceContext, ServiceDefinition
from webhook_receiver.settings import Settings


async def build(context: ServiceContext[Settings]) -> Components:
    """Assemble the service's consumers and background tasks."""
    return Components()


definition = ServiceDefinition(
    name="webhook-receiver",
    settings_type=Settings,
    build=build,
    migrations="webhook_receiver.migrations",
)
