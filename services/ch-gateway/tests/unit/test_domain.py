"""Request validation, officer-list paging and the scheduler's ordering and coalescing."""

from __future__ import annotations

import dataclasses
import json

import msgspec
import pytest

from ch_gateway.breaker import Breaker, BreakerState, OpenReason, backoff
from ch_gateway.domain import (
    Invalid,
    MalformedUpstream,
    OfficerPages,
    RequestView,
    document_etag,
    page_params,
    target_of,
)
from ch_gateway.scheduler import Scheduler
from leadpipe_contracts.gateway import RequestKind


def view(kind: str = "company_profile", **fields: str | None) -> RequestView:
    return RequestView(request_id="r1", kind=kind, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("number", ["00445790", "SC123456", "oc000001", " NI012345 "])
def test_well_formed_company_numbers_are_accepted_and_upper_cased(number: str) -> None:
    target = target_of(view(company_number=number))
    assert target.company_number == number.strip().upper()
    assert target.path == f"/company/{number.strip().upper()}"


@pytest.mark.parametrize("number", ["123456789", "1234567", "S1234567", "SC12345X", "", None])
def test_malformed_company_numbers_are_refused(number: str | None) -> None:
    with pytest.raises(Invalid, match="company"):
        target_of(view(company_number=number))


def test_unknown_kinds_are_refused_with_the_known_ones_named() -> None:
    with pytest.raises(Invalid, match=r"unknown request kind 'psc'.*officer_list"):
        target_of(view(kind="psc", company_number="00445790"))


@pytest.mark.parametrize(
    "path", ["/company/00445790/charges", "/company/SC123456/filing-history?items_per_page=25"]
)
def test_generic_gets_accept_paths_under_the_api(path: str) -> None:
    assert target_of(view(kind="get", path=path)).path == path


@pytest.mark.parametrize(
    "path", ["", "company/1", "https://evil.example/x", "//evil.example/x", "/company/../admin"]
)
def test_generic_gets_refuse_anything_else(path: str) -> None:
    with pytest.raises(Invalid, match="path"):
        target_of(view(kind="get", path=path))


def test_officer_lists_page_a_hundred_at_a_time() -> None:
    target = target_of(view(kind="officer_list", company_number="00445790"))
    assert page_params(target, 200) == {"items_per_page": "100", "start_index": "200"}
    assert page_params(target_of(view(company_number="00445790")), 0) == {}


def page(start: int, count: int, total: int) -> bytes:
    items = [{"name": f"OFFICER {i}"} for i in range(start, start + count)]
    body = {
        "etag": "e1",
        "kind": "officer-list",
        "items": items,
        "total_results": total,
        "items_per_page": 100,
        "start_index": start,
        "active_count": total,
    }
    return json.dumps(body).encode()


def test_officer_pages_continue_until_total_results_and_join_every_item() -> None:
    pages = OfficerPages()
    pages.add(page(0, 100, 250))
    assert pages.next_start == 100
    pages.add(page(100, 100, 250))
    pages.add(page(200, 50, 250))
    assert pages.next_start is None
    document = json.loads(pages.document())
    assert len(document["items"]) == 250
    assert document["items"][249] == {"name": "OFFICER 249"}
    assert (document["kind"], document["etag"], document["active_count"]) == (
        "officer-list",
        "e1",
        250,
    )


def test_officer_pages_stop_on_an_empty_page_and_at_exactly_one_hundred() -> None:
    pages = OfficerPages()
    pages.add(page(0, 100, 100))
    assert pages.next_start is None
    short = OfficerPages()
    short.add(page(0, 0, 5))
    assert short.next_start is None


def test_malformed_upstream_json_is_reported_not_raised_raw() -> None:
    with pytest.raises(MalformedUpstream):
        OfficerPages().add(b'{"company_number": "0000')
    with pytest.raises(MalformedUpstream):
        document_etag(b"[1, 2", {})
    assert document_etag(b'{"company_name": "X"}', {"ETag": '"abc"'}) == "abc"
    assert document_etag(b'{"etag": "in-body"}', {"ETag": '"abc"'}) == "in-body"


@dataclasses.dataclass
class W:
    name: str
    rank: int


def test_scheduler_serves_strictly_by_priority_then_fifo() -> None:
    scheduler: Scheduler[W] = Scheduler()
    for seq, (name, rank) in enumerate([("l1", 2), ("n1", 1), ("l2", 2), ("h1", 0), ("h2", 0)]):
        scheduler.add(target_of(view(company_number=f"000000{seq:02d}")), W(name, rank), seq)
    order = []
    while (job := scheduler.pop(0.0)) is not None:
        order.append(job.waiters[0].name)
        scheduler.finish(job)
    assert order == ["h1", "h2", "n1", "l1", "l2"]


def test_scheduler_coalesces_duplicates_and_raises_their_priority() -> None:
    scheduler: Scheduler[W] = Scheduler()
    low = target_of(view(company_number="00000001"))
    scheduler.add(target_of(view(company_number="00000002")), W("n", 1), 1)
    scheduler.add(low, W("l", 2), 2)
    job, joined = scheduler.add(low, W("h", 0), 3)
    assert joined
    assert job.rank == 0
    assert len(scheduler) == 2
    first = scheduler.pop(0.0)
    assert first is job
    assert [w.name for w in scheduler.finish(job)] == ["l", "h"]
    assert scheduler.held(0) == 0
    assert scheduler.held(2) == 0
    assert scheduler.held(1) == 1


def test_scheduler_holds_back_a_job_until_its_backoff_ends() -> None:
    scheduler: Scheduler[W] = Scheduler()
    job, _ = scheduler.add(target_of(view(company_number="00000001")), W("a", 2), 1)
    assert scheduler.pop(0.0) is job
    scheduler.requeue(job, ready_at=10.0)
    assert scheduler.pop(5.0) is None
    assert scheduler.next_ready_at() == 10.0
    assert scheduler.pop(10.0) is job


def test_breaker_opens_on_429_until_reset_then_lets_exactly_one_probe_through() -> None:
    breaker = Breaker(window=300.0, rate_limit_margin=0.0)
    breaker.on_rate_limited(100.0, reset_at=160.0)
    assert breaker.next_allowed(120.0) == 160.0
    assert breaker.state(160.0) is BreakerState.HALF_OPEN
    breaker.on_dispatch(160.0)
    assert breaker.next_allowed(161.0) is None
    breaker.on_rate_limited(161.0, reset_at=None)
    assert breaker.next_allowed(162.0) == 461.0
    breaker.on_dispatch(461.0)
    breaker.on_success(462.0)
    assert breaker.state(462.0) is BreakerState.CLOSED


def test_breaker_opens_after_consecutive_failures_only() -> None:
    breaker = Breaker(window=300.0, failure_threshold=3, cooldown=10.0)
    assert not breaker.on_failure(0.0)
    assert not breaker.on_failure(0.0)
    breaker.on_success(0.0)
    assert not breaker.on_failure(0.0)
    assert not breaker.on_failure(0.0)
    assert breaker.on_failure(1.0)
    assert breaker.reason is OpenReason.FAILURES
    assert 10.0 <= breaker.next_allowed(1.0) <= 12.1  # type: ignore[operator]


def test_breaker_fails_fast_after_401_until_the_auth_probe() -> None:
    breaker = Breaker(window=300.0, auth_retry=60.0)
    breaker.on_unauthorised(0.0)
    assert breaker.fails_fast(30.0)
    assert not breaker.fails_fast(60.0)
    assert breaker.next_allowed(60.0) == 60.0


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    assert 0.5 <= backoff(1, 1.0, 30.0) <= 1.0
    assert 4.0 <= backoff(4, 1.0, 30.0) <= 8.0
    assert 15.0 <= backoff(20, 1.0, 30.0) <= 30.0


def test_request_view_decodes_a_gateway_request_with_an_unknown_kind() -> None:
    raw = (
        b'{"type":"chgw.request.v1","event_id":"e","occurred_at":"2026-01-01T00:00:00Z",'
        b'"request_id":"r","kind":"psc","priority":"low","requester":"x","extra":1}'
    )
    decoded = msgspec.json.decode(raw, type=RequestView)
    assert decoded.kind == "psc"
    assert decoded.request_id == "r"
    assert RequestKind.OFFICER_LIST.value == "officer_list"
