"""Encoding and decoding of events: JSON on the wire, decoders built once per type.

JSON (not MessagePack) keeps messages readable with the ``nats`` CLI and in dead-letter records;
msgspec's JSON is fast enough for every throughput target here.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")

_encoder = msgspec.json.Encoder()


def encode(event: msgspec.Struct) -> bytes:
    """Encode an event (or any Struct) to JSON bytes."""
    return _encoder.encode(event)


class Decoder(Generic[T]):
    """A reusable decoder for one event type or tagged union of events.

    Build it once (at start-up) and reuse it: msgspec compiles the type on construction.
    """

    def __init__(self, type_: Any) -> None:
        self._decoder: msgspec.json.Decoder[T] = msgspec.json.Decoder(type_)

    def decode(self, data: bytes) -> T:
        """Decode bytes into the type.

        Raises:
            msgspec.DecodeError: Not valid JSON, or not the expected shape (the message says where).
        """
        return self._decoder.decode(data)
