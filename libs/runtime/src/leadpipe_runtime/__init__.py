"""What every Leadpipe service runs on.

- ``BaseSettings`` / ``load_settings`` / ``Secret``: typed ``LEADPIPE_*`` settings.
- ``configure_logging``: JSON lines with trace ids and secret redaction.
- ``configure_tracing``: OpenTelemetry, exported over OTLP when configured; ``tracing`` also
  holds HTTP client spans and the trace context kept with stored work.
- ``OutboxWriter`` / ``OutboxRelay``: atomic "change state, then publish".
- ``ServiceDefinition`` / ``Service`` / ``main``: the shared life cycle and ops port.
- ``BusinessHours``: weekly opening hours in a time zone, from a setting string.
- ``nothing_held_erasure``: erasure confirmation for services that hold no personal data.
"""

from leadpipe_runtime.health import CheckResult, HealthRegistry, Status
from leadpipe_runtime.logs import Redactor, configure_logging
from leadpipe_runtime.outbox import OutboxRelay, OutboxWriter
from leadpipe_runtime.privacy import nothing_held_erasure
from leadpipe_runtime.schedule import BusinessHours
from leadpipe_runtime.service import (
    Components,
    Service,
    ServiceContext,
    ServiceDefinition,
    main,
    run_until_signal,
)
from leadpipe_runtime.settings import (
    BaseSettings,
    Secret,
    SettingsError,
    env_name,
    load_settings,
    secrets_of,
)
from leadpipe_runtime.tracing import configure_tracing

__all__ = [
    "BaseSettings",
    "BusinessHours",
    "CheckResult",
    "Components",
    "HealthRegistry",
    "OutboxRelay",
    "OutboxWriter",
    "Redactor",
    "Secret",
    "Service",
    "ServiceContext",
    "ServiceDefinition",
    "SettingsError",
    "Status",
    "configure_logging",
    "configure_tracing",
    "env_name",
    "load_settings",
    "main",
    "nothing_held_erasure",
    "run_until_signal",
    "secrets_of",
]
