"""Composition root of officer-fetcher: wires its adapters and handlers to the shared runtime."""

from __future__ import annotations

from leadpipe_runtime import Components, ServiceContext, ServiceDefinition
from officer_fetcher.settings import Settings


async def build(context: ServiceContext[Settings]) -> Components:
    """Assemble the service's consumers and background tasks."""
    return Components()


definition = ServiceDefinition(
    name="officer-fetcher",
    settings_type=Settings,
    build=build,
    migrations="officer_fetcher.migrations",
)
