"""Erasure confirmation for services that hold no personal data.

Every service with a privacy consumer must answer each ``PrivacyErasureRequested`` with a
``PrivacyErasureCompleted`` so that query-api can track an erasure to its end. A service that
stores nothing about people (stream-ingest keeps company facts; webhook-receiver keeps no bodies)
answers with zero records erased, once per request.
"""

from __future__ import annotations

from typing import Any

from leadpipe_bus import Delivery, Subscription
from leadpipe_contracts import derive_id, utcnow
from leadpipe_contracts.privacy import PrivacyErasureCompleted, PrivacyErasureRequested
from leadpipe_db import inbox
from leadpipe_runtime.service import ServiceContext


def nothing_held_erasure(context: ServiceContext[Any]) -> Subscription[PrivacyErasureRequested]:
    """The service's privacy subscription, confirming each request with nothing erased."""
    spec = context.topology.consumer(context.name, "privacy")

    async def confirm(event: PrivacyErasureRequested, delivery: Delivery) -> None:
        async with context.db.transaction() as connection:
            if not await inbox.claim(connection, spec.durable, event.event_id):
                return
            await context.outbox.add(
                connection,
                PrivacyErasureCompleted(
                    event_id=derive_id("erasure-completed", event.request_id, context.name),
                    occurred_at=utcnow(),
                    correlation_id=event.correlation_id or event.event_id,
                    causation_id=event.event_id,
                    request_id=event.request_id,
                    service=context.name,
                    records_erased=0,
                ),
            )

    return Subscription(spec, PrivacyErasureRequested, confirm)
