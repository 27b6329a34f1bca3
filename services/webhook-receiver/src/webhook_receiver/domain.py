"""What webhook-receiver accepts as a Snov.io push, and the event it turns it into.

The per-task push format is undocumented (reference snov-ghl.md 1.7); the only consumer seen in the
wild parses it like the ``/result`` response. Validation is therefore lenient: the body must be a
JSON object, and the members we read (``status``, ``data``, ``meta.task_hash``) must have the
expected type when present. Anything else is forwarded untouched; snov-enricher confirms the
result by fetching it with the task hash before trusting it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import msgspec

from leadpipe_contracts.webhooks import SnovWebhookReceived


class PushMeta(msgspec.Struct, frozen=True, kw_only=True):
    """The ``meta`` member of a push: only the task hash is read."""

    task_hash: str | None = None


class SnovPush(msgspec.Struct, frozen=True, kw_only=True):
    """The parts of a push we read; unknown members are ignored (never forbidden)."""

    status: str | None = None
    data: list[Any] | None = None
    meta: PushMeta | None = None


class InvalidPush(ValueError):
    """The body is not an acceptable push; the message says precisely why."""


_decoder = msgspec.json.Decoder(SnovPush)


def parse_push(body: bytes) -> SnovPush:
    """Validate a push body.

    Raises:
        InvalidPush: Not JSON, not an object, or a known member of the wrong type (the message
            names the JSON path, e.g. ``Expected `str`, got `int` - at `$.meta.task_hash```).
    """
    if not body.strip():
        raise InvalidPush("empty body: expected a JSON object")
    try:
        return _decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise InvalidPush(str(exc)) from exc


def body_id(body: bytes) -> str:
    """The event id of a push: a hash of its exact bytes, so a repeated delivery is one event."""
    return "snov-push:" + hashlib.sha256(body).hexdigest()


def received_event(
    batch_id: str, body: bytes, push: SnovPush, received_at: dt.datetime
) -> SnovWebhookReceived:
    """The event that carries a validated push to snov-enricher."""
    event_id = body_id(body)
    return SnovWebhookReceived(
        event_id=event_id,
        occurred_at=received_at,
        correlation_id=batch_id,
        batch_id=batch_id,
        payload=msgspec.Raw(body),
        received_at=received_at,
        task_hash=push.meta.task_hash if push.meta else None,
    )
