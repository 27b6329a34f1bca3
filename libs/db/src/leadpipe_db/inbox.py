"""The idempotent-consumer inbox: each (consumer, event id) takes effect once.

Call ``claim`` inside the same transaction as the handler's state change. If it returns False the
event was already processed (a redelivery or a replay): skip the effect and let the runner ack.
"""

from __future__ import annotations

import datetime as dt

import asyncpg


async def claim(connection: asyncpg.Connection, consumer: str, event_id: str) -> bool:
    """Record that ``consumer`` processes ``event_id``; False if it already did."""
    inserted = await connection.fetchval(
        "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING RETURNING true",
        consumer,
        event_id,
    )
    return bool(inserted)


async def prune(connection: asyncpg.Connection, older_than: dt.timedelta) -> int:
    """Forget inbox entries older than ``older_than`` (longer than any replay horizon)."""
    result: str = await connection.execute(
        "DELETE FROM processed_events WHERE processed_at < now() - $1::interval", older_than
    )
    return int(result.split()[-1])
