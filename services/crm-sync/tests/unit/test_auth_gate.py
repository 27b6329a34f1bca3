"""The token gate: a refused token holds every call, one probe at a time, until accepted."""

from __future__ import annotations

import asyncio

from crm_sync.adapters.ghl import AuthGate, error_messages


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def entered(gate: AuthGate) -> bool:
    try:
        await asyncio.wait_for(gate.enter(), 0.05)
    except TimeoutError:
        return False
    return True


async def test_a_refused_token_holds_calls_then_lets_one_probe_through_after_the_retry_time() -> (
    None
):
    clock = Clock()
    gate = AuthGate(30.0, monotonic=clock)
    assert await entered(gate)
    await gate.refused(401, "Invalid token: access token is invalid")
    assert not gate.ok
    assert not await entered(gate)
    clock.now = 31.0
    assert await entered(gate)  # the probe
    assert not await entered(gate)  # everyone else waits for its outcome
    await gate.refused(401, "still invalid")
    clock.now = 45.0
    assert not await entered(gate)
    clock.now = 62.0
    assert await entered(gate)
    await gate.accepted()
    assert gate.ok
    assert await entered(gate)
    assert await entered(gate)


async def test_a_probe_without_an_answer_lets_another_call_probe() -> None:
    clock = Clock()
    gate = AuthGate(1.0, monotonic=clock)
    await gate.refused(403, "The token does not have access to this location.")
    clock.now = 2.0
    assert await entered(gate)
    await gate.inconclusive()
    assert await entered(gate)


def test_error_bodies_of_every_documented_shape_give_their_messages() -> None:
    assert error_messages({"statusCode": 422, "message": ["a", "b"], "error": "x"}) == ["a", "b"]
    assert error_messages({"statusCode": 401, "message": "Invalid token"}) == ["Invalid token"]
    assert error_messages({"error": "Bad Request"}) == ["Bad Request"]
    assert error_messages("<html>") == ["no error message in the response"]


async def test_a_probe_that_never_reports_back_is_taken_over_after_the_retry_time() -> None:
    clock = Clock()
    gate = AuthGate(5.0, monotonic=clock)
    await gate.refused(401, "Invalid token")
    clock.now = 6.0
    assert await entered(gate)  # this probe's caller is then cancelled and never reports
    clock.now = 10.0
    assert not await entered(gate)
    clock.now = 11.5
    assert await entered(gate)
