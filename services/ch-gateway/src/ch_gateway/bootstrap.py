"""Composition root of ch-gateway: wires its adapters and handlers to the shared runtime."""

from __future__ import annotations

from ch_gateway.settings import Settings
from leadpipe_runtime import Components, ServiceContext, ServiceDefinition


async def build(context: ServiceContext[Settings]) -> Components:
    """Assemble the service's consumers and background tasks."""
    return Components()


definition = ServiceDefinition(
    name="ch-gateway",
    settings_type=Settings,
    build=build,
    migrations="ch_gateway.migrations",
)
