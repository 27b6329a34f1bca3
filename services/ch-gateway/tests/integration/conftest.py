"""Helpers for ch-gateway integration tests: the Companies House simulator on an accelerated
window, in-process gateways, a request publisher and a response collector."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from ch_gateway.bootstrap import definition
from ch_gateway.settings import Settings
from leadpipe_bus import Publisher, Topology, apply_topology
from leadpipe_contracts import Decoder, utcnow
from leadpipe_contracts.gateway import (
    GatewayRequest,
    GatewayResponse,
    Priority,
    RequestKind,
)
from leadpipe_runtime import Secret, Service
from leadpipe_simulators.companies_house import CompaniesHouseSimulator, SimulatorConfig

KEY = "test-rest-key"


def gateway_settings(
    nats_url: str, database_url: str, namespace: str, api_url: str, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "nats_url": nats_url,
        "database_url": Secret(database_url),
        "namespace": namespace,
        "ops_port": 0,
        "ch_api_url": api_url,
        "ch_api_key": Secret(KEY),
        "status_interval_seconds": 0.5,
        "lease_poll_seconds": 0.2,
        "fetch_poll_seconds": 0.5,
        "shutdown_grace_seconds": 2.0,
        "rate_limit_margin_seconds": 0.0,
    }
    values.update(overrides)
    return Settings(**values)


class Responses:
    """Collects every GatewayResponse published in the test's namespace."""

    def __init__(self) -> None:
        self.by_request: dict[str, GatewayResponse] = {}
        self.arrived: dict[str, float] = {}
        self._decoder: Decoder[GatewayResponse] = Decoder(GatewayResponse)

    async def on_message(self, message: Msg) -> None:
        response = self._decoder.decode(message.data)
        self.by_request.setdefault(response.request_id, response)
        self.arrived.setdefault(response.request_id, asyncio.get_running_loop().time())

    def __len__(self) -> int:
        return len(self.by_request)


class Requests:
    """Publishes GatewayRequests the way requesting services do."""

    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher

    async def send(
        self,
        kind: RequestKind = RequestKind.COMPANY_PROFILE,
        priority: Priority = Priority.LOW,
        *,
        company_number: str | None = None,
        path: str | None = None,
        request_id: str | None = None,
    ) -> str:
        request_id = request_id or uuid.uuid4().hex
        await self._publisher.publish(
            GatewayRequest(
                event_id=f"req:{request_id}",
                occurred_at=utcnow(),
                request_id=request_id,
                kind=kind,
                priority=priority,
                requester="test",
                company_number=company_number,
                path=path,
            )
        )
        return request_id

    async def send_many(self, jobs: list[dict[str, Any]], *, chunk: int = 200) -> list[str]:
        ids: list[str] = []
        for start in range(0, len(jobs), chunk):
            batch = jobs[start : start + chunk]
            ids.extend(await asyncio.gather(*(self.send(**job) for job in batch)))
        return ids


@pytest.fixture
async def responses(nats_client: NatsClient, namespace: str) -> AsyncIterator[Responses]:
    collected = Responses()
    subscription = await nats_client.subscribe(
        f"{namespace}.chgw.responses.*", cb=collected.on_message
    )
    yield collected
    await subscription.unsubscribe()


@pytest.fixture
async def requests(nats_client: NatsClient, namespace: str) -> Requests:
    # Streams and the gateway's consumers exist before anything is published, as after
    # `leadpipe setup`: requests may then queue up before a gateway runs.
    topology = Topology(namespace)
    js = nats_client.jetstream()
    await apply_topology(js, topology, consumers=topology.consumers_of("ch-gateway"))
    return Requests(Publisher(js, topology, "test"))


SimulatorFactory = Callable[..., Awaitable[CompaniesHouseSimulator]]
GatewayFactory = Callable[..., Awaitable[Service[Settings]]]


@pytest.fixture
async def simulator() -> AsyncIterator[SimulatorFactory]:
    started: list[CompaniesHouseSimulator] = []

    async def start(**config: Any) -> CompaniesHouseSimulator:
        config.setdefault("size", 3_000)
        sim = CompaniesHouseSimulator(SimulatorConfig(rest_keys=(KEY,), **config))
        await sim.start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        await sim.stop()


@pytest.fixture
async def gateway(
    nats_url: str, database_url: str, namespace: str
) -> AsyncIterator[GatewayFactory]:
    running: list[Service[Settings]] = []

    async def start(api_url: str, **overrides: Any) -> Service[Settings]:
        settings = gateway_settings(nats_url, database_url, namespace, api_url, **overrides)
        service = Service(definition, settings)
        running.append(service)
        await service.start()
        return service

    yield start
    for service in running:
        with contextlib.suppress(Exception):
            await service.stop()


async def role(service: Service[Settings]) -> str | None:
    """``leader`` / ``standby`` as the service's readiness reports it."""
    checks = await service.health.readiness()
    lease = checks.get("lease")
    return lease.detail if lease else None
