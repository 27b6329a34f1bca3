"""Consumers of webhook-receiver: erasure requests.

The service stores no personal data (pushes go straight to JetStream; request logs carry no
bodies), so an erasure request is answered with a completion that erased nothing, once per request.
"""

from __future__ import annotations

from leadpipe_bus import Delivery
from leadpipe_contracts import derive_id, utcnow
from leadpipe_contracts.privacy import PrivacyErasureCompleted, PrivacyErasureRequested
from leadpipe_db import Database, inbox
from leadpipe_runtime import OutboxWriter

SERVICE = "webhook-receiver"


class PrivacyHandler:
    """Answers erasure requests."""

    def __init__(self, db: Database, outbox: OutboxWriter, consumer: str) -> None:
        self._db = db
        self._outbox = outbox
        self._consumer = consumer

    async def __call__(self, event: PrivacyErasureRequested, delivery: Delivery) -> None:
        """Record the request once and publish this service's completion."""
        async with self._db.transaction() as connection:
            if not await inbox.claim(connection, self._consumer, event.event_id):
                return
            await self._outbox.add(
                connection,
                PrivacyErasureCompleted(
                    event_id=derive_id("erasure-completed", event.request_id, SERVICE),
                    occurred_at=utcnow(),
                    correlation_id=event.correlation_id or event.event_id,
                    causation_id=event.event_id,
                    request_id=event.request_id,
                    service=SERVICE,
                    records_erased=0,
                ),
            )
