"""Per-task webhook pushes: body, retry ladder on an accelerated clock, timeouts, drops, copies."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from leadpipe_simulators.snov import (
    WEBHOOK_RETRY_DELAYS,
    DeliveryState,
    EmailCandidate,
    SnovSimulator,
)

Waiter = Callable[..., Awaitable[None]]


async def _start_email_task(
    http: aiohttp.ClientSession, sim: SnovSimulator, webhook_url: str
) -> str:
    sim.set_emails(
        "Priya",
        "Raman",
        "northfieldhealth.org",
        [EmailCandidate("priya.raman@northfieldhealth.org")],
    )
    async with http.post(
        sim.url + "/v2/emails-by-domain-by-name/start",
        json={
            "rows": [
                {"first_name": "Priya", "last_name": "Raman", "domain": "northfieldhealth.org"}
            ],
            "webhook_url": webhook_url,
        },
        headers={"Authorization": f"Bearer {sim.issue_token()}"},
    ) as response:
        assert response.status == 200
        task_hash = (await response.json())["data"]["task_hash"]
    assert isinstance(task_hash, str)
    return task_hash


async def test_push_carries_the_result_body(
    snov: SnovSimulator, http: aiohttp.ClientSession, receiver: Any, wait_until: Waiter
) -> None:
    task_hash = await _start_email_task(http, snov, receiver.url + "?batch=b1")
    snov.clock.advance(snov.config.email_task_delay)
    await wait_until(lambda: len(receiver.bodies) == 1, what="the push")
    async with http.get(
        snov.url + "/v2/emails-by-domain-by-name/result",
        params={"task_hash": task_hash},
        headers={"Authorization": f"Bearer {snov.issue_token()}"},
    ) as response:
        polled = await response.json()
    assert receiver.bodies[0] == polled
    assert polled["status"] == "completed"
    assert polled["data"][0]["result"][0]["email"] == "priya.raman@northfieldhealth.org"
    assert receiver.paths == ["/webhooks/snov/batch-1.sig?batch=b1"]
    await wait_until(lambda: snov.webhook_states(task_hash) == [DeliveryState.DELIVERED])
    [attempt] = snov.webhook_attempts(task_hash)
    assert (attempt.attempt, attempt.status, attempt.delivered) == (1, 200, True)
    assert snov.credits_for_task(task_hash) == 1


async def test_failed_pushes_follow_the_ladder_on_an_accelerated_clock(
    make_snov: Callable[..., SnovSimulator],
    http: aiohttp.ClientSession,
    receiver: Any,
    wait_until: Waiter,
) -> None:
    receiver.script = [500, 503]
    # 10,000x: the +20 min and +40 min retries take 0.12 s and 0.24 s of real time.
    async with make_snov(time_scale=10_000, token_lifetime=10**9) as sim:
        task_hash = await _start_email_task(http, sim, receiver.url)
        await wait_until(lambda: sim.webhook_states(task_hash) == [DeliveryState.DELIVERED])
        attempts = sim.webhook_attempts(task_hash)
    assert [a.status for a in attempts] == [500, 503, 200]
    assert [a.attempt for a in attempts] == [1, 2, 3]
    gaps = [b.scheduled_at - a.scheduled_at for a, b in itertools.pairwise(attempts)]
    assert gaps == [1200.0, 2400.0]
    assert all(a.at >= a.scheduled_at for a in attempts)
    assert len(receiver.bodies) == 3
    assert receiver.bodies[0] == receiver.bodies[2]


async def test_push_is_abandoned_after_seven_attempts(
    make_snov: Callable[..., SnovSimulator],
    http: aiohttp.ClientSession,
    receiver: Any,
    wait_until: Waiter,
) -> None:
    receiver.script = [500] * 10
    # 500,000x: the whole 38 h ladder takes about 0.3 s.
    async with make_snov(time_scale=500_000, token_lifetime=10**9) as sim:
        task_hash = await _start_email_task(http, sim, receiver.url)
        await wait_until(lambda: sim.webhook_states(task_hash) == [DeliveryState.ABANDONED])
        attempts = sim.webhook_attempts(task_hash)
    assert len(attempts) == 7
    gaps = [b.scheduled_at - a.scheduled_at for a, b in itertools.pairwise(attempts)]
    assert tuple(gaps) == WEBHOOK_RETRY_DELAYS
    assert sum(gaps) == 38 * 3600
    assert len(receiver.bodies) == 7


async def test_no_answer_within_the_deadline_is_a_failure(
    make_snov: Callable[..., SnovSimulator],
    http: aiohttp.ClientSession,
    receiver: Any,
    wait_until: Waiter,
) -> None:
    receiver.stall_first = 1
    async with make_snov(webhook_timeout=0.2) as sim:
        task_hash = await _start_email_task(http, sim, receiver.url)
        sim.clock.advance(sim.config.email_task_delay)
        await wait_until(lambda: len(sim.webhook_attempts(task_hash)) == 1, what="first attempt")
        [first] = sim.webhook_attempts(task_hash)
        assert first.status is None
        assert first.error is not None
        assert "0.2" in first.error
        sim.clock.advance(WEBHOOK_RETRY_DELAYS[0])
        await wait_until(lambda: sim.webhook_states(task_hash) == [DeliveryState.DELIVERED])


async def test_unreachable_receiver_is_retried(
    make_snov: Callable[..., SnovSimulator], http: aiohttp.ClientSession, wait_until: Waiter
) -> None:
    async with make_snov() as sim:
        # Port 9 (discard) on loopback: connection refused.
        task_hash = await _start_email_task(http, sim, "http://127.0.0.1:9/hook")
        sim.clock.advance(sim.config.email_task_delay)
        await wait_until(lambda: len(sim.webhook_attempts(task_hash)) == 1)
        [first] = sim.webhook_attempts(task_hash)
        assert first.status is None
        assert first.error
        assert sim.webhook_states(task_hash) == [DeliveryState.PENDING]


async def test_dropped_push_never_arrives_but_the_result_can_be_polled(
    snov: SnovSimulator, http: aiohttp.ClientSession, receiver: Any, wait_until: Waiter
) -> None:
    task_hash = await _start_email_task(http, snov, receiver.url)
    snov.drop_webhooks(task_hash=task_hash)
    snov.clock.advance(snov.config.email_task_delay)
    await wait_until(lambda: snov.task(task_hash).done)
    assert snov.dropped_webhooks() == [task_hash]
    assert snov.webhook_attempts(task_hash) == []
    assert receiver.bodies == []
    async with http.get(
        snov.url + "/v2/emails-by-domain-by-name/result",
        params={"task_hash": task_hash},
        headers={"Authorization": f"Bearer {snov.issue_token()}"},
    ) as response:
        assert (await response.json())["status"] == "completed"


async def test_duplicated_push_arrives_several_times_and_is_charged_once(
    snov: SnovSimulator, http: aiohttp.ClientSession, receiver: Any, wait_until: Waiter
) -> None:
    snov.duplicate_webhooks(copies=3)
    task_hash = await _start_email_task(http, snov, receiver.url)
    snov.clock.advance(snov.config.email_task_delay)
    await wait_until(lambda: len(receiver.bodies) == 3, what="three copies")
    assert receiver.bodies[0] == receiver.bodies[1] == receiver.bodies[2]
    assert snov.credits_for_task(task_hash) == 1
    # The rule applied to one task only: the next push is single.
    second = await _start_email_task(http, snov, receiver.url)
    snov.clock.advance(snov.config.email_task_delay)
    await wait_until(lambda: len(receiver.bodies) == 4)
    assert snov.webhook_states(second) == [DeliveryState.DELIVERED]


async def test_domain_tasks_push_too(
    snov: SnovSimulator, http: aiohttp.ClientSession, receiver: Any, wait_until: Waiter
) -> None:
    snov.set_domain("Hooked Ltd", "hooked.co.uk")
    async with http.post(
        snov.url + "/v2/company-domain-by-name/start",
        params={"names[]": "Hooked Ltd", "webhook_url": receiver.url},
        headers={"Authorization": f"Bearer {snov.issue_token()}"},
    ) as response:
        task_hash = (await response.json())["data"]["task_hash"]
    snov.clock.advance(snov.config.domain_task_delay)
    await wait_until(lambda: len(receiver.bodies) == 1)
    assert receiver.bodies[0] == {
        "status": "completed",
        "data": [{"name": "Hooked Ltd", "result": {"domain": "hooked.co.uk"}}],
        "meta": {"names": ["Hooked Ltd"], "task_hash": task_hash},
    }
