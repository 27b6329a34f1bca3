"""Rebuilding the read model: empty it and replay every stream into it from the start.

The read model is derived only from events, so dropping it and re-reading every stream gives
the same state. ``rebuild`` deletes query-api's durable consumers, truncates the read-model tables
(and the inbox entries of the projections), and re-creates the consumers at the start of their
streams; query-api, when (re)started, replays everything. State query-api owns itself — users,
keys, audit log, saved searches, webhooks — and the live feed (a log keyed by event id, so a
replay adds nothing to it and no webhook fires twice) are kept.
"""

from __future__ import annotations

import contextlib

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from leadpipe_bus import Topology
from leadpipe_bus.apply import ensure_consumer
from leadpipe_db import Database
from query_api.projections import INBOX

SERVICE = "query-api"
READ_MODEL_TABLES = (
    "companies",
    "strikeoff_history",
    "officers",
    "contacts",
    "status_snapshots",
    "dead_letters",
    "jobs",
    "job_commands",
    "erasure_requests",
    "erasure_completions",
    "suppression_lift_completions",
)


class RebuildRefused(Exception):
    """query-api is still consuming; it must be stopped before its read model is rebuilt."""


async def consumers_in_use(js: JetStreamContext, topology: Topology) -> list[str]:
    """Durables of query-api with pull requests waiting (a running instance)."""
    busy = []
    for spec in topology.consumers_of(SERVICE):
        with contextlib.suppress(NotFoundError):
            info = await js.consumer_info(topology.stream_name(spec.stream), topology.durable(spec))
            if info.num_waiting:
                busy.append(topology.durable(spec))
    return busy


async def rebuild(
    js: JetStreamContext, db: Database, topology: Topology, *, force: bool = False
) -> list[str]:
    """Reset query-api to replay every stream into an empty read model.

    Args:
        force: Skip the check that no query-api instance is consuming.

    Returns:
        The durable consumers that were reset.

    Raises:
        RebuildRefused: A query-api instance still consumes (and ``force`` is false).
    """
    if not force:
        busy = await consumers_in_use(js, topology)
        if busy:
            raise RebuildRefused(
                "query-api is running (consumers with waiting pulls: "
                + ", ".join(busy)
                + "); stop it first"
            )
    reset = []
    for spec in topology.consumers_of(SERVICE):
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(topology.stream_name(spec.stream), topology.durable(spec))
        reset.append(topology.durable(spec))
    async with db.transaction() as connection:
        await connection.execute("TRUNCATE " + ", ".join(READ_MODEL_TABLES))
        await connection.execute("DELETE FROM processed_events WHERE consumer = $1", INBOX)
    for spec in topology.consumers_of(SERVICE):
        await ensure_consumer(js, topology, spec)
    return reset
