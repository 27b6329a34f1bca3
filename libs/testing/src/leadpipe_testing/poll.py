"""Bounded polling: wait for a condition with a deadline, never a fixed sleep."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def poll_until(
    probe: Callable[[], T | Awaitable[T]],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
    message: str = "condition",
) -> T:
    """Call ``probe`` until it returns a truthy value, and return that value.

    Args:
        probe: A sync or async callable; falsy results (or AssertionError) mean "not yet".
        timeout: Seconds before giving up.
        interval: Seconds between calls.
        message: Described in the failure, so a timeout says what was awaited.

    Raises:
        TimeoutError: The condition did not hold in time; includes the last result or assertion.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        try:
            result = probe()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            last = result
        except AssertionError as exc:
            last = exc
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{message} not met within {timeout:.1f}s (last: {last!r})")
        await asyncio.sleep(interval)
