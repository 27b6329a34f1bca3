"""Composition root of query-api: wires its adapters and handlers to the shared runtime."""

from __future__ import annotations

from leadpipe_runtime import Components, ServiceContext, ServiceDefinition
from query_api.settings import Settings


async def build(context: ServiceContext[Settings]) -> Components:
    """Assemble the service's consumers and background tasks."""
    return Components()


definition = ServiceDefinition(
    name="query-api",
    settings_type=Settings,
    build=build,
    migrations="query_api.migrations",
)
