"""The event loop services run on: uvloop where it exists (every platform but Windows).

uvloop implements the asyncio event loop on libuv with the same API; per I/O event it costs a
fraction of the stock loop. Measured on query-api's detail pages (SPEC §6 P5 load, two cores,
each loop in turn twice): 2,800 to 3,100 requests/s on asyncio's loop, 3,400 to 3,460 on
uvloop. Every library the services use (asyncpg, nats-py, aiohttp, uvicorn) supports it.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The factory of the services' event loop (None: asyncio's own, where uvloop has none)."""
    if sys.platform == "win32":
        return None
    import uvloop

    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on a new loop of the services' kind, as ``asyncio.run`` does."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
