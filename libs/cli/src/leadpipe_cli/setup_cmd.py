"""``leadpipe setup``: declare streams and consumers, migrate every service schema."""

from __future__ import annotations

from leadpipe_bus import ConnectionState, Topology, apply_topology, connect
from leadpipe_cli.plugins import service_definitions
from leadpipe_db import Database


async def run_setup(
    nats_url: str, database_url: str, namespace: str = "", *, replicas: int = 1
) -> list[str]:
    """Apply the whole topology and all migrations; idempotent.

    Returns:
        One line per step taken, for the operator.
    """
    report: list[str] = []
    state = ConnectionState()
    client = await connect(nats_url, name="leadpipe-setup", state=state, initial_timeout=30)
    try:
        topology = Topology(namespace)
        await apply_topology(client.jetstream(), topology, replicas=replicas)
        report.append(
            f"streams: {len(topology.streams)} declared ({replicas} replica(s)); "
            f"consumers: {len(topology.consumers)}"
        )
    finally:
        state.closing = True
        await client.close()
    for name, definition in service_definitions().items():
        db = Database(database_url, definition.schema(namespace), application_name="leadpipe-setup")
        await db.open(timeout=30)
        try:
            applied = await db.migrate([definition.migrations] if definition.migrations else [])
        finally:
            await db.close()
        report.append(f"{name}: schema {db.schema}, {len(applied)} migration(s) applied")
    return report
