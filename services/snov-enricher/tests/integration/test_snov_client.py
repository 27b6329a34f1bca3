"""The Snov.io client against the simulator: token cache and renewal, pacing, error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from leadpipe_simulators.snov import SnovConfig, SnovSimulator
from snov_enricher.adapters import (
    Pacer,
    SnovAuthError,
    SnovClient,
    SnovPermanentError,
    SnovTransientError,
)
from snov_enricher.results import TaskStatus, parse_domain_result

pytestmark = pytest.mark.integration

CLIENT_ID, SECRET = "client-tests", "client-tests-secret"


@pytest.fixture
async def sim() -> AsyncIterator[SnovSimulator]:
    config = SnovConfig(
        client_id=CLIENT_ID, client_secret=SECRET, seed=3, time_scale=60.0, domain_task_delay=900
    )
    async with SnovSimulator(config) as simulator:
        yield simulator


def _client(sim: SnovSimulator, *, limit: int = 60, window: float = 1.0) -> SnovClient:
    # The simulator runs 60x faster: its 60 requests per 60 s are 60 per real second.
    return SnovClient(sim.url, CLIENT_ID, SECRET, Pacer(limit, window, guard=0.05), timeout=5)


def _token_requests(sim: SnovSimulator) -> int:
    return sum(1 for r in sim.request_log.records("/v1/oauth/access_token"))


async def test_one_token_serves_many_calls_and_an_expired_one_is_renewed(
    sim: SnovSimulator,
) -> None:
    client = _client(sim)
    try:
        assert await client.balance() == 25_000
        assert await client.balance() == 25_000
        assert _token_requests(sim) == 1
        sim.clock.advance(3_600)  # the simulator's token expired; the client's view has not
        assert await client.balance() == 25_000
        assert _token_requests(sim) == 2, "a 401 fetched a new token and the call was retried"
    finally:
        await client.close()


async def test_a_domain_search_starts_and_its_result_is_read_with_the_task_hash(
    sim: SnovSimulator,
) -> None:
    sim.set_domain("ACME WIDGETS LTD", "acmewidgets.co.uk")
    client = _client(sim)
    try:
        task_hash = await client.start_domain_search(["ACME WIDGETS LTD"], None)
        first = parse_domain_result(await client.domain_result(task_hash), ["ACME WIDGETS LTD"])
        assert first.status is TaskStatus.IN_PROGRESS
        sim.clock.advance(900)
        done = parse_domain_result(await client.domain_result(task_hash), ["ACME WIDGETS LTD"])
        assert done.domains == {"ACME WIDGETS LTD": "acmewidgets.co.uk"}
    finally:
        await client.close()


async def test_pacing_keeps_a_burst_under_the_server_limit(sim: SnovSimulator) -> None:
    client = _client(sim, limit=20, window=1.0)
    sim_limit_per_real_second = 60
    try:
        for _ in range(sim_limit_per_real_second + 10):
            await client.balance()
    finally:
        await client.close()
    assert sim.engine.rate_limited == 0
    assert 429 not in sim.request_log.by_status


async def test_errors_are_mapped_by_what_the_caller_should_do(sim: SnovSimulator) -> None:
    client = _client(sim)
    try:
        sim.fail_next(1, 503)
        with pytest.raises(SnovTransientError) as transient:
            await client.start_domain_search(["X LTD"], None)
        assert transient.value.status == 503
        assert not transient.value.maybe_started
        with pytest.raises(SnovPermanentError):
            await client.domain_result("no-such-task")
        with pytest.raises(ValueError, match="1 to 10 names"):
            await client.start_domain_search([f"N{i}" for i in range(11)], None)
    finally:
        await client.close()
    wrong = SnovClient(sim.url, CLIENT_ID, "not-the-secret", Pacer(60, 1.0))
    try:
        with pytest.raises(SnovAuthError):
            await wrong.balance()
    finally:
        await wrong.close()
