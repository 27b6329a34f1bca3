"""The event loop services run on."""

from __future__ import annotations

import asyncio
import sys

import pytest

from leadpipe_runtime import loop


async def _running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop has no Windows build")
def test_services_run_on_uvloop() -> None:
    import uvloop

    assert isinstance(loop.run(_running_loop()), uvloop.Loop)


def test_run_returns_the_result_and_closes_its_loop() -> None:
    ran = loop.run(_running_loop())
    assert ran.is_closed()
