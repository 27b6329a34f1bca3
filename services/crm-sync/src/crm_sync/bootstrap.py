"""Composition root of crm-sync: wires its adapters and handlers to the shared runtime."""

from __future__ import annotations

from crm_sync.settings import Settings
from leadpipe_runtime import Components, ServiceContext, ServiceDefinition


async def build(context: ServiceContext[Settings]) -> Components:
    """Assemble the service's consumers and background tasks."""
    return Components()


definition = ServiceDefinition(
    name="crm-sync",
    settings_type=Settings,
    build=build,
    migrations="crm_sync.migrations",
)
