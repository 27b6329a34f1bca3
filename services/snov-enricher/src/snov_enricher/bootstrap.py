"""Composition root of snov-enricher: wires its adapters and handlers to the shared runtime."""

from __future__ import annotations

from leadpipe_runtime import Components, ServiceContext, ServiceDefinition
from snov_enricher.settings import Settings


async def build(context: ServiceContext[Settings]) -> Components:
    """Assemble the service's consumers and background tasks."""
    return Components()


definition = ServiceDefinition(
    name="snov-enricher",
    settings_type=Settings,
    build=build,
    migrations="snov_enricher.migrations",
)
