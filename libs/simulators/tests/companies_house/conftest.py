"""Fixtures for the Companies House simulator tests: real servers on 127.0.0.1, port 0."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from leadpipe_simulators.companies_house import CompaniesHouseSimulator, SimulatorConfig

REST_KEY = "rest-key-for-tests"
STREAM_KEY = "stream-key-for-tests"

SimFactory = Callable[..., Awaitable[CompaniesHouseSimulator]]


@pytest.fixture
async def make_sim() -> AsyncIterator[SimFactory]:
    started: list[CompaniesHouseSimulator] = []

    async def factory(**overrides: Any) -> CompaniesHouseSimulator:
        settings: dict[str, Any] = {
            "size": 5_000,
            "rest_keys": (REST_KEY,),
            "stream_keys": (STREAM_KEY,),
            "heartbeat_interval": 0.05,
        }
        settings.update(overrides)
        simulator = CompaniesHouseSimulator(SimulatorConfig(**settings))
        await simulator.start()
        started.append(simulator)
        return simulator

    yield factory
    for simulator in started:
        await simulator.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        yield session
