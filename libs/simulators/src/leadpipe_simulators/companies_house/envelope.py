"""The Streaming API event envelope (B.5), encoded straight to one NDJSON line.

``data`` is encoded once per resource and spliced in, so re-emitting a resource (duplicates,
backlogs) costs a small ``event`` object only. ``published_at`` deliberately varies between the
three formats seen in the wild: no zone, ``Z`` with microseconds, and ``+01:00``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

import msgspec

RESOURCE_ENCODER: Final = msgspec.json.Encoder(order="sorted")
_ENCODER: Final = msgspec.json.Encoder()
_BST: Final = timedelta(hours=1)


_SECOND_TEXT: dict[int, tuple[str, str]] = {}


def _seconds_text(second: int) -> tuple[str, str]:
    """``YYYY-MM-DDTHH:MM:SS`` in UTC and in BST (+1 h) for one epoch second, memoised
    because a backlog publishes thousands of events within the same second."""
    texts = _SECOND_TEXT.get(second)
    if texts is None:
        if len(_SECOND_TEXT) > 100_000:
            _SECOND_TEXT.clear()
        moment = datetime.fromtimestamp(second, UTC)
        texts = _SECOND_TEXT[second] = (
            moment.strftime("%Y-%m-%dT%H:%M:%S"),
            (moment + _BST).strftime("%Y-%m-%dT%H:%M:%S"),
        )
    return texts


def published_at(epoch: float, timepoint: int) -> str:
    """The event's publication time in one of the observed formats (chosen by timepoint)."""
    second = int(epoch)
    utc, bst = _seconds_text(second)
    style = timepoint % 10
    if style < 6:
        return utc
    micros = int((epoch - second) * 1_000_000)
    if style < 9:
        return f"{utc}.{micros:06d}Z"
    return f"{bst}.{micros:06d}+01:00"


def encode_event(
    resource_kind: str,
    resource_uri: str,
    resource_id: str,
    data: bytes | None,
    timepoint: int,
    epoch: float,
    event_type: str = "changed",
    fields_changed: list[str] | None = None,
) -> bytes:
    """One envelope line (with the trailing newline); ``data`` is pre-encoded JSON or None."""
    event: dict[str, Any] = {}
    if fields_changed:
        event["fields_changed"] = fields_changed
    event["timepoint"] = timepoint
    event["published_at"] = published_at(epoch, timepoint)
    event["type"] = event_type
    parts = [
        b'{"resource_kind":',
        _ENCODER.encode(resource_kind),
        b',"resource_uri":',
        _ENCODER.encode(resource_uri),
        b',"resource_id":',
        _ENCODER.encode(resource_id),
    ]
    if data is not None:
        parts += [b',"data":', data]
    parts += [b',"event":', _ENCODER.encode(event), b"}\n"]
    return b"".join(parts)
