"""Fixtures for officer-fetcher on real NATS and Postgres.

``GatewayDouble`` plays ch-gateway by its contract: it pulls officer-list requests from the
gateway's work-queue consumers strictly by priority (high, normal, low; FIFO within one), fetches
every page from the Companies House simulator (100 per page) and answers with a GatewayResponse
whose body is the first page with every item of every page. It records the order requests were
served in and the upstream calls per company.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import math
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import msgspec
import nats.errors
import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from leadpipe_bus import Publisher, Topology, apply_topology
from leadpipe_contracts import Decoder, derive_id, utcnow
from leadpipe_contracts.companies import Source, StrikeOffEntered, StrikeOffKind
from leadpipe_contracts.gateway import (
    GatewayRequest,
    GatewayResponse,
    RequestKind,
    ResponseStatus,
)
from leadpipe_runtime import Secret, Service
from leadpipe_simulators.companies_house import CompaniesHouseSimulator, SimulatorConfig
from officer_fetcher.bootstrap import make_definition
from officer_fetcher.settings import Settings

PRIORITIES = ("high", "normal", "low")
REST_KEY = "test-rest-key"


class GatewayDouble:
    """A stand-in for ch-gateway that honours its request/response contract."""

    def __init__(
        self, js: JetStreamContext, topology: Topology, rest_url: str, *, pace: float = 0.0
    ) -> None:
        self._js = js
        self._topology = topology
        self._rest_url = rest_url
        self._publisher = Publisher(js, topology, "ch-gateway")
        self._decoder: Decoder[GatewayRequest] = Decoder(GatewayRequest)
        self.pace = pace
        self.received: list[GatewayRequest] = []
        self.calls: Counter[str] = Counter()
        self.running = asyncio.Event()
        self.running.set()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._subscriptions: dict[str, Any] = {}

    async def start(self) -> None:
        await apply_topology(
            self._js, self._topology, consumers=self._topology.consumers_of("ch-gateway")
        )
        stream = self._topology.stream_name("CHGW_REQUESTS")
        for priority in PRIORITIES:
            spec = self._topology.consumer("ch-gateway", priority)
            self._subscriptions[priority] = await self._js.pull_subscribe_bind(
                durable=self._topology.durable(spec), stream=stream
            )
        auth = base64.b64encode(f"{REST_KEY}:".encode()).decode()
        self._session = aiohttp.ClientSession(headers={"Authorization": f"Basic {auth}"})
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            # nats-py may turn the cancellation of a pending fetch into ConnectionClosedError.
            with contextlib.suppress(asyncio.CancelledError, nats.errors.Error):
                await self._task
        for subscription in self._subscriptions.values():
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()
        if self._session is not None:
            await self._session.close()

    def served(self, company: str) -> list[GatewayRequest]:
        return [r for r in self.received if r.company_number == company]

    async def _next(self) -> Msg | None:
        for priority in PRIORITIES:
            try:
                messages = await self._subscriptions[priority].fetch(1, timeout=0.05)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            if messages:
                return messages[0]
        return None

    async def _run(self) -> None:
        while True:
            await self.running.wait()
            message = await self._next()
            if message is None:
                continue
            request = self._decoder.decode(message.data)
            self.received.append(request)
            await self._publisher.publish(await self._answer(request))
            await message.ack()
            if self.pace:
                await asyncio.sleep(self.pace)  # the upstream rate limit this double emulates

    async def _answer(self, request: GatewayRequest) -> GatewayResponse:
        assert request.kind is RequestKind.OFFICER_LIST
        assert self._session is not None
        number = request.company_number or ""
        first: dict[str, Any] | None = None
        items: list[Any] = []
        status = 200
        start = 0
        calls = 0
        while True:
            url = f"{self._rest_url}/company/{number}/officers"
            params = {"items_per_page": "100", "start_index": str(start)}
            async with self._session.get(url, params=params) as response:
                calls += 1
                self.calls[number] += 1
                status = response.status
                if status != 200:
                    break
                page = await response.json()
            first = first or page
            items.extend(page["items"])
            start += len(page["items"])
            if not page["items"] or start >= page["total_results"]:
                break
        common: dict[str, Any] = {
            "event_id": derive_id("chgw.response", request.request_id),
            "occurred_at": utcnow(),
            "correlation_id": request.correlation_id,
            "causation_id": request.event_id,
            "request_id": request.request_id,
            "kind": request.kind,
            "company_number": number,
            "upstream_status": status,
            "calls": calls,
            "fetched_at": utcnow(),
        }
        if status == 404:
            return GatewayResponse(status=ResponseStatus.NOT_FOUND, **common)
        if first is None:
            return GatewayResponse(status=ResponseStatus.FAILED, reason=f"HTTP {status}", **common)
        body = {**first, "items": items}
        return GatewayResponse(
            status=ResponseStatus.OK,
            etag=first.get("etag"),
            body=msgspec.Raw(msgspec.json.encode(body)),
            **common,
        )


def expected_calls(total: int) -> int:
    """What one officer list costs at 100 items per page."""
    return max(1, math.ceil(total / 100))


def entered(
    number: str,
    *,
    source: Source = Source.BULK,
    name: str = "A COMPANY LIMITED",
    kind: StrikeOffKind = StrikeOffKind.COMPULSORY,
    observed_at: Any = None,
    etag: str | None = None,
) -> StrikeOffEntered:
    observed = observed_at or utcnow()
    return StrikeOffEntered(
        event_id=derive_id("entered", number, source, observed.isoformat()),
        occurred_at=observed,
        company_number=number,
        company_name=name,
        source=source,
        signal="bulk" if source is Source.BULK else "profile",
        kind=kind,
        entered_on=observed.date(),
        observed_at=observed,
        etag=etag,
    )


ServiceFactory = Callable[..., Awaitable[Service[Settings]]]


@pytest.fixture
async def start_service(
    nats_url: str, database_url: str, namespace: str
) -> AsyncIterator[ServiceFactory]:
    """Start officer-fetcher in-process (several times if a test restarts it)."""
    started: list[Service[Settings]] = []

    async def start(clock: Any = None, **overrides: Any) -> Service[Settings]:
        values: dict[str, Any] = {
            "scheduler_interval_seconds": 0.2,
            "progress_interval_seconds": 0.3,
            "shutdown_grace_seconds": 2.0,
            **overrides,
        }
        settings = Settings(
            nats_url=nats_url,
            database_url=Secret(database_url),
            namespace=namespace,
            ops_port=0,
            **values,
        )
        definition = make_definition(clock) if clock is not None else make_definition()
        service = Service(definition, settings)
        await service.start()
        started.append(service)
        return service

    yield start
    for service in started:
        await service.stop()


@pytest.fixture
async def simulator() -> AsyncIterator[CompaniesHouseSimulator]:
    """The Companies House simulator: 500 companies, limits far above what tests use."""
    config = SimulatorConfig(seed=11, size=500, rate_limit=100_000)
    async with CompaniesHouseSimulator(config) as sim:
        yield sim


@pytest.fixture
async def gateway(
    nats_client: NatsClient, namespace: str, simulator: CompaniesHouseSimulator
) -> AsyncIterator[GatewayDouble]:
    """The gateway double, serving from the simulator."""
    js = nats_client.jetstream()
    topology = Topology(namespace)
    await apply_topology(js, topology, consumers=())
    double = GatewayDouble(js, topology, simulator.rest_url)
    await double.start()
    yield double
    await double.stop()


@pytest.fixture
def publisher(nats_client: NatsClient, namespace: str) -> Publisher:
    """Publishes as stream-ingest would."""
    return Publisher(nats_client.jetstream(), Topology(namespace), "stream-ingest")
