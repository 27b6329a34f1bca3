"""Discovery of installed services and of the commands they contribute."""

from __future__ import annotations

import importlib.metadata
from typing import Any

import typer

from leadpipe_bus import SERVICES
from leadpipe_runtime import ServiceDefinition

SERVICE_GROUP = "leadpipe.services"
COMMAND_GROUP = "leadpipe.commands"


def service_definitions() -> dict[str, ServiceDefinition[Any]]:
    """Installed services by name, in pipeline order."""
    found: dict[str, ServiceDefinition[Any]] = {}
    for entry in importlib.metadata.entry_points(group=SERVICE_GROUP):
        definition = entry.load()
        if not isinstance(definition, ServiceDefinition):
            raise TypeError(f"{entry.value} is not a ServiceDefinition")
        found[definition.name] = definition
    order = {name: index for index, name in enumerate(SERVICES)}
    return dict(sorted(found.items(), key=lambda item: order.get(item[0], len(order))))


def service_module(definition: ServiceDefinition[Any]) -> str:
    """The module to run with ``python -m`` for a service."""
    return definition.name.replace("-", "_")


def register_plugin_commands(app: typer.Typer) -> None:
    """Let every installed ``leadpipe.commands`` entry point add its commands to ``app``."""
    for entry in importlib.metadata.entry_points(group=COMMAND_GROUP):
        register = entry.load()
        register(app)
