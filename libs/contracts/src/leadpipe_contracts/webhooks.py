"""Webhook deliveries accepted by webhook-receiver.

Subject: ``webhooks.snov.received``.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from leadpipe_contracts._base import Event


class SnovWebhookReceived(Event, frozen=True, kw_only=True, tag="webhooks.snov.received.v1"):
    """A body Snov.io pushed for one of our batches, stored before it was acknowledged.

    The push format is undocumented, so the payload is forwarded undecoded; snov-enricher confirms
    it by fetching the task result before trusting it. ``event_id`` is a hash of the body, so a
    repeated delivery is one event.

    Attributes:
        batch_id: The batch authenticated by the URL token.
        task_hash: The task the payload names, when it names one.
    """

    batch_id: str
    payload: msgspec.Raw
    received_at: dt.datetime
    task_hash: str | None = None


WebhookEvent = SnovWebhookReceived
