"""Webhook URL tokens: ``<batch id>.<HMAC-SHA256(batch id, secret) as hex>``.

snov-enricher creates a batch id before it calls Snov.io and registers
``<public url>/webhooks/snov/<token>`` as the task's ``webhook_url``; Snov.io signs nothing, so the
token is the only proof that a push concerns one of our batches. The same format is implemented in
snov-enricher (no service imports another); both packages pin it with the same test vector.
"""

from __future__ import annotations

import hashlib
import hmac
import re

# A batch id is what snov-enricher generates: 8 to 64 URL-safe characters.
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")


def sign(batch_id: str, secret: str) -> str:
    """The token for ``batch_id``."""
    digest = hmac.new(secret.encode(), batch_id.encode(), hashlib.sha256).hexdigest()
    return f"{batch_id}.{digest}"


def verify(token: str, secret: str) -> str | None:
    """The batch id a token authenticates, or None when it is malformed or forged."""
    batch_id, dot, signature = token.partition(".")
    if not dot or not _BATCH_ID.match(batch_id) or not _SIGNATURE.match(signature):
        return None
    expected = sign(batch_id, secret).partition(".")[2]
    return batch_id if hmac.compare_digest(expected, signature) else None
