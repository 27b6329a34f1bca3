"""Every event survives the wire unchanged, and tags are explicit and unique."""

from __future__ import annotations

import re

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadpipe_contracts import Decoder, Event, encode
from leadpipe_contracts.companies import CompanyEvent, StrikeOffEntered
from leadpipe_testing.strategies import all_event_classes, events_of

TAG = re.compile(r"^[a-z]+(\.[a-z_]+)+\.v[0-9]+$")


def test_every_event_has_an_explicit_versioned_tag() -> None:
    classes = all_event_classes()
    tags = [cls.__struct_config__.tag for cls in classes]
    assert len(classes) >= 15
    for cls, tag in zip(classes, tags, strict=True):
        assert isinstance(tag, str), f"{cls.__name__} has no explicit tag"
        assert TAG.match(tag), f"{cls.__name__} tag {tag!r} is not '<family>.<name>.vN'"
        assert tag != cls.__name__
    assert len(set(tags)) == len(tags), "two events share a tag"


def test_every_event_is_frozen_kw_only_and_tolerates_unknown_fields() -> None:
    for cls in all_event_classes():
        config = cls.__struct_config__
        assert config.frozen, cls
        assert config.tag_field == "type", cls
        assert not config.forbid_unknown_fields, cls
        assert not config.array_like, cls


@pytest.mark.parametrize("cls", all_event_classes(), ids=lambda c: c.__name__)
def test_event_round_trips_through_json(cls: type[Event]) -> None:
    @settings(max_examples=40, deadline=None)
    @given(events_of(cls))
    def check(event: Event) -> None:
        assert Decoder(cls).decode(encode(event)) == event

    check()


@given(st.sampled_from(all_event_classes()).flatmap(events_of))
@settings(max_examples=60, deadline=None)
def test_decoder_of_a_family_union_picks_the_class_by_tag(event: Event) -> None:
    if isinstance(event, CompanyEvent):  # type: ignore[misc, arg-type]
        assert Decoder(CompanyEvent).decode(encode(event)) == event


def test_decoding_a_wrong_shape_names_the_field() -> None:
    body = b'{"type":"company.strikeoff.entered.v1","event_id":"e","occurred_at":"nope"}'
    with pytest.raises(msgspec.ValidationError, match=r"occurred_at"):
        Decoder(StrikeOffEntered).decode(body)
