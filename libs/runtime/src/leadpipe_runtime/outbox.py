"""The transactional outbox: state changes and the events they cause commit together.

A handler writes its events with ``OutboxWriter.add`` in the same transaction as its state
change; the ``OutboxRelay`` publishes committed rows in order, with their ``Nats-Msg-Id`` and the
trace context captured when they were written, and marks them published. A crash between commit
and publish only delays the events; a crash between publish and marking re-publishes them, and
JetStream (within its duplicate window) or the consumers' inboxes (beyond it) drop the repeat.
``NOTIFY`` wakes the relay at commit; polling is the fallback for a missed notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import asyncpg
from prometheus_client import Counter, Gauge

from leadpipe_bus import Publisher, PublishError
from leadpipe_bus.topology import subject_for
from leadpipe_contracts import Event, encode
from leadpipe_db import Database

log = logging.getLogger(__name__)

RELAYED = Counter("leadpipe_outbox_relayed_total", "Outbox rows published.")
BACKLOG = Gauge("leadpipe_outbox_backlog", "Outbox rows waiting to be published.")


def _channel(schema: str) -> str:
    return f"leadpipe_outbox_{schema}"[:63]


class OutboxWriter:
    """Adds events to the outbox inside the caller's transaction."""

    def __init__(self, publisher: Publisher, schema: str) -> None:
        self._publisher = publisher
        self._channel = _channel(schema)

    async def add(
        self,
        connection: asyncpg.Connection,
        event: Event,
        *,
        subject: str | None = None,
        msg_id: str | None = None,
    ) -> None:
        """Queue ``event`` for publishing when the surrounding transaction commits."""
        base = subject or subject_for(event)
        headers = self._publisher.headers_for(event, msg_id=msg_id)
        await connection.execute(
            "INSERT INTO outbox (subject, msg_id, data, headers) VALUES ($1, $2, $3, $4::jsonb)",
            self._publisher.topology.subject(base),
            headers["Nats-Msg-Id"],
            encode(event),
            json.dumps(headers),
        )
        await connection.execute("SELECT pg_notify($1, '')", self._channel)


class OutboxRelay:
    """Publishes committed outbox rows; one per service process (rows are claimed with a lock)."""

    def __init__(
        self,
        db: Database,
        publisher: Publisher,
        *,
        batch: int = 500,
        poll_interval: float = 1.0,
        keep_published: float = 86_400.0,
    ) -> None:
        self._db = db
        self._publisher = publisher
        self._batch = batch
        self._poll_interval = poll_interval
        self._keep_published = keep_published
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Relay until cancelled; survives database and broker outages."""
        listener: asyncpg.Connection | None = None
        try:
            while True:
                if listener is None or listener.is_closed():
                    listener = await self._listen()
                try:
                    relayed = await self.relay_once()
                except (
                    OSError,
                    asyncpg.PostgresError,
                    asyncpg.InterfaceError,
                    PublishError,
                ) as exc:
                    log.warning("outbox relay failed, will retry: %r", exc)
                    relayed = 0
                    await asyncio.sleep(self._poll_interval)
                if relayed < self._batch:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._poll_interval)
                    self._wake.clear()
        finally:
            if listener is not None and not listener.is_closed():
                with contextlib.suppress(Exception):
                    await listener.close()

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            connection: asyncpg.Connection = await asyncpg.connect(
                self._db.url, server_settings={"application_name": "leadpipe-outbox-listener"}
            )
            await connection.add_listener(_channel(self._db.schema), lambda *_: self._wake.set())
            return connection
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("outbox listener unavailable, polling instead: %r", exc)
            return None

    async def relay_once(self) -> int:
        """Publish one batch of unpublished rows in order; returns how many were published."""
        async with self._db.transaction() as connection:
            rows = await connection.fetch(
                "SELECT id, subject, data, headers FROM outbox WHERE published_at IS NULL"
                " ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                self._batch,
            )
            if not rows:
                BACKLOG.set(0)
                return 0
            await asyncio.gather(
                *(
                    self._publisher.publish_raw(
                        row["subject"], bytes(row["data"]), json.loads(row["headers"])
                    )
                    for row in rows
                )
            )
            await connection.execute(
                "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                [row["id"] for row in rows],
            )
            await connection.execute(
                "DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)",
                self._keep_published,
            )
        RELAYED.inc(len(rows))
        return len(rows)
