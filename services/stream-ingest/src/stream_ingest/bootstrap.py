"""Composition root of stream-ingest: wires its adapters and handlers to the shared runtime."""

from __future__ import annotations

from leadpipe_runtime import Components, ServiceContext, ServiceDefinition
from stream_ingest.settings import Settings


async def build(context: ServiceContext[Settings]) -> Components:
    """Assemble the service's consumers and background tasks."""
    return Components()


definition = ServiceDefinition(
    name="stream-ingest",
    settings_type=Settings,
    build=build,
    migrations="stream_ingest.migrations",
)
