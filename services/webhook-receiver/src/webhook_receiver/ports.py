"""The port through which the HTTP endpoint stores what it accepted."""

from __future__ import annotations

from typing import Protocol

from leadpipe_contracts.webhooks import SnovWebhookReceived


class StoreUnavailable(Exception):
    """The event could not be stored durably in time; the sender must retry (503)."""


class PushStore(Protocol):
    """Stores an accepted push durably, or raises ``StoreUnavailable``."""

    async def store(self, event: SnovWebhookReceived) -> bool:
        """Store ``event``; returns False when it was a duplicate of one already stored."""
        ...
