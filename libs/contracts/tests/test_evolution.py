"""Schema evolution: an old decoder accepts what a newer producer sends (README rules 1 and 2)."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings

from leadpipe_contracts import Decoder, Event, encode
from leadpipe_testing.strategies import all_event_classes, events_of


def _as_newer_producer(event: Event) -> bytes:
    """Encode ``event`` as a later version of its struct would: same tag, extra fields."""
    document = msgspec.json.decode(encode(event))
    document["added_in_a_later_version"] = {"nested": [1, 2, 3], "flag": True}
    document["another_new_field"] = "text"
    return msgspec.json.encode(document)


@pytest.mark.parametrize("cls", all_event_classes(), ids=lambda c: c.__name__)
def test_old_decoder_accepts_a_newer_producers_message(cls: type[Event]) -> None:
    @settings(max_examples=25, deadline=None)
    @given(events_of(cls))
    def check(event: Event) -> None:
        assert Decoder(cls).decode(_as_newer_producer(event)) == event

    check()


@pytest.mark.parametrize("cls", all_event_classes(), ids=lambda c: c.__name__)
def test_newer_decoder_reads_an_older_message_missing_defaulted_fields(cls: type[Event]) -> None:
    """Fields with defaults may be absent on the wire: that is how an added field reads old data."""
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)
    required = {f.encode_name for f in info.fields if f.required}

    @settings(max_examples=10, deadline=None)
    @given(events_of(cls))
    def check(event: Event) -> None:
        document = msgspec.json.decode(encode(event))
        older = {k: v for k, v in document.items() if k in required or k == "type"}
        decoded = Decoder(cls).decode(msgspec.json.encode(older))
        for field in info.fields:
            if field.required:
                assert getattr(decoded, field.name) == getattr(event, field.name)

    check()
