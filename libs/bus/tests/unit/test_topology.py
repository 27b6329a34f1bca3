"""The declared topology is consistent: every event has a subject captured by exactly one stream."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from leadpipe_bus.topology import (
    CONSUMERS,
    SERVICES,
    STREAMS,
    ConsumerSpec,
    Topology,
    _matches,
    subject_for,
)
from leadpipe_contracts import Event
from leadpipe_contracts.status import DeadLetter
from leadpipe_testing.strategies import all_event_classes, events_of


@given(st.sampled_from(all_event_classes()).flatmap(events_of))
@settings(max_examples=150, deadline=None)
def test_every_event_has_a_subject_captured_by_exactly_one_stream(event: Event) -> None:
    subject = subject_for(event)
    # Subjects built from a field (priority, service, consumer…) need that field non-empty;
    # real producers always set it, generated examples may not.
    assume(all(subject.split(".")))
    # A dead letter's subject ends in a durable name, which NATS never lets contain a dot.
    assume(not isinstance(event, DeadLetter) or "." not in event.consumer)
    captured = [s.name for s in STREAMS if any(_matches(p, subject) for p in s.subjects)]
    assert len(captured) == 1, (subject, captured)


def test_consumers_bind_declared_streams_and_services() -> None:
    topology = Topology()
    names = {spec.name for spec in STREAMS}
    durables = [spec.durable for spec in CONSUMERS]
    assert len(durables) == len(set(durables)), "durable names must be unique"
    for spec in CONSUMERS:
        assert spec.stream in names
        assert spec.service in SERVICES
        assert 1 <= spec.max_deliver < 1_000, "max_deliver is never unlimited"
        assert len(spec.server_backoff()) <= spec.max_deliver
        assert all(step >= spec.ack_wait for step in spec.server_backoff())
        for subject in spec.filter_subjects:
            assert topology.stream_for_subject(subject).name == spec.stream


def test_work_queue_consumers_do_not_overlap() -> None:
    queue = [c for c in CONSUMERS if c.stream == "CHGW_REQUESTS"]
    filters = [f for c in queue for f in c.filter_subjects]
    assert len(filters) == len(set(filters)) == 3


def test_namespace_prefixes_streams_subjects_and_durables() -> None:
    topology = Topology("t1")
    spec = topology.consumer("crm-sync", "contacts")
    assert topology.stream_name("COMPANIES") == "T1_COMPANIES"
    assert topology.subject("companies.observed") == "t1.companies.observed"
    assert topology.base_subject("t1.companies.observed") == "companies.observed"
    assert topology.durable(spec) == "t1-crm-sync-contacts"


@pytest.mark.parametrize(
    ("failures", "expected"), [(0, 1.0), (1, 1.0), (2, 5.0), (5, 300.0), (9, 300.0)]
)
def test_retry_delay_follows_the_schedule_and_repeats_its_last_step(
    failures: int, expected: float
) -> None:
    spec = ConsumerSpec("x", "y", "COMPANIES", ())
    assert spec.retry_delay(failures) == expected
