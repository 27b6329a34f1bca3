"""Hypothesis strategies for every contract: property tests of codecs, projections and handlers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import msgspec.inspect as mi
from hypothesis import strategies as st

from leadpipe_contracts import (
    Event,
    companies,
    crm,
    enrichment,
    gateway,
    jobs,
    officers,
    privacy,
    status,
    webhooks,
)

FAMILIES = [companies, gateway, officers, enrichment, webhooks, crm, jobs, privacy, status]


def all_event_classes() -> list[type[Event]]:
    """Every concrete event class defined in the family modules."""
    found: dict[str, type[Event]] = {}
    for module in FAMILIES:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Event) and value is not Event:
                found[value.__qualname__] = value
    return sorted(found.values(), key=lambda cls: cls.__qualname__)


def strategy_for(info: mi.Type) -> st.SearchStrategy[Any]:
    """A Hypothesis strategy producing values of a msgspec-inspected type."""
    match info:
        case mi.StrType():
            return st.text(max_size=12)
        case mi.IntType():
            return st.integers(min_value=-(2**53), max_value=2**53)
        case mi.FloatType():
            return st.floats(allow_nan=False, allow_infinity=False)
        case mi.BoolType():
            return st.booleans()
        case mi.NoneType():
            return st.none()
        case mi.BytesType():
            return st.binary(max_size=32)
        case mi.DateTimeType():
            return st.datetimes(timezones=st.just(dt.UTC))
        case mi.DateType():
            return st.dates()
        case mi.RawType():
            return st.sampled_from([msgspec.Raw(b'{"k":[1,"x"]}'), msgspec.Raw(b"null")])
        case mi.EnumType(cls=cls):
            return st.sampled_from(list(cls))
        case mi.UnionType(types=types):
            return st.one_of([strategy_for(t) for t in types])
        case mi.VarTupleType(item_type=item) | mi.ListType(item_type=item):
            items = st.lists(strategy_for(item), max_size=3)
            return items.map(tuple) if isinstance(info, mi.VarTupleType) else items
        case mi.DictType(key_type=key, value_type=value):
            return st.dictionaries(strategy_for(key), strategy_for(value), max_size=3)
        case mi.StructType(cls=cls, fields=fields):
            return st.builds(cls, **{f.name: strategy_for(f.type) for f in fields})
    raise TypeError(f"no strategy for {info!r}")


def events_of(cls: type[Event]) -> st.SearchStrategy[Event]:
    """Instances of one event class."""
    return strategy_for(mi.type_info(cls))
