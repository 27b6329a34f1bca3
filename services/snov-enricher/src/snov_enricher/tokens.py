"""Batch ids and webhook URL tokens: ``<batch id>.<HMAC-SHA256(batch id, secret) as hex>``.

The token is created before the start call (Snov.io returns the task hash only afterwards) and
checked by webhook-receiver, which implements the same format; both packages pin it with the same
test vector.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid


def new_batch_id() -> str:
    """A fresh, unguessable batch id (32 hex characters)."""
    return uuid.uuid4().hex


def sign(batch_id: str, secret: str) -> str:
    """The token for ``batch_id``."""
    digest = hmac.new(secret.encode(), batch_id.encode(), hashlib.sha256).hexdigest()
    return f"{batch_id}.{digest}"


def webhook_url(public_base: str, batch_id: str, secret: str) -> str:
    """The ``webhook_url`` registered with a start call."""
    return f"{public_base.rstrip('/')}/webhooks/snov/{sign(batch_id, secret)}"
