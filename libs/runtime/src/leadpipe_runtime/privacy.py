"""What every service's erasure handling shares.

Every service with a privacy consumer must answer each ``PrivacyErasureRequested`` with a
``PrivacyErasureCompleted`` so that query-api can track an erasure to its end. A service that
stores nothing about people (stream-ingest keeps company facts; webhook-receiver keeps no bodies)
answers with zero records erased, once per request (``nothing_held_erasure``).

Services that do hold people also scrub their outbox: published rows stay there for a day after
publishing, and an erasure must not leave the person in them (``erase_published_events``).
Suppression lists keep ``fingerprint``s, never the identifiers themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import asyncpg

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


def fingerprint(*parts: str) -> str:
    """A one-way key of identifying text, kept in suppression lists instead of the text."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


async def erase_published_events(
    connection: asyncpg.Connection,
    identifiers: Iterable[str | None],
    *,
    delivered: Iterable[str] = (),
) -> int:
    """Delete already-published outbox rows that mention any identifier; returns how many.

    Matching is on the lower-cased text of the event, so it errs towards deleting: a published
    row is only kept for troubleshooting, while one that names an erased person must go.
    Unpublished rows are left to the relay (they are the service's pending output), except those
    whose message id is in ``delivered``: events known to be published because they were just
    consumed (a service handling its own erasure request can receive it before its relay has
    recorded the publish).
    """
    needles = sorted({text.strip().lower() for text in identifiers if text and text.strip()})
    if not needles:
        return 0
    status: str = await connection.execute(
        "DELETE FROM outbox WHERE (published_at IS NOT NULL OR msg_id = ANY($2::text[]))"
        " AND EXISTS (SELECT 1 FROM unnest($1::text[]) AS needle"
        " WHERE strpos(lower(convert_from(data, 'UTF8')), needle) > 0)",
        needles,
        list(delivered),
    )
    return int(status.split()[-1])
