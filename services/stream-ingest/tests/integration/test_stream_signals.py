"""Strike-off detection from the streams, against the Companies House simulator.

The test plays ch-gateway: it takes requests from ``chgw.requests.high`` and answers with the
simulator's REST profile on ``chgw.responses.company_profile``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import msgspec
import pytest
from nats.aio.client import Client as NatsClient
from nats.js import api

from leadpipe_bus import Publisher, Topology
from leadpipe_contracts import utcnow
from leadpipe_contracts.gateway import GatewayRequest, GatewayResponse, ResponseStatus
from leadpipe_runtime import Secret, Service
from leadpipe_simulators.companies_house import CompaniesHouseSimulator, SimulatorConfig
from leadpipe_testing import poll_until
from stream_ingest.bootstrap import definition
from stream_ingest.settings import Settings

from .conftest import read_messages

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Service[Settings]]:
    service = Service(definition, settings)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()


async def play_gateway(
    client: NatsClient,
    publisher: Publisher,
    namespace: str,
    sim: CompaniesHouseSimulator,
    requests: list[GatewayRequest],
) -> None:
    """Answer every high-priority profile request with the simulator's REST profile."""
    topology = Topology(namespace)
    js = client.jetstream()
    subscription = await js.pull_subscribe(
        topology.subject("chgw.requests.high"),
        durable="test-gateway",
        stream=topology.stream_name("CHGW_REQUESTS"),
        config=api.ConsumerConfig(ack_policy=api.AckPolicy.EXPLICIT),
    )
    decoder = msgspec.json.Decoder(GatewayRequest)
    while True:
        try:
            messages = await subscription.fetch(10, timeout=0.5)
        except TimeoutError:
            continue
        for message in messages:
            request = decoder.decode(message.data)
            requests.append(request)
            assert request.company_number is not None
            profile = sim.population.profile(request.company_number)
            await publisher.publish(
                GatewayResponse(
                    event_id=f"response:{request.request_id}",
                    occurred_at=utcnow(),
                    request_id=request.request_id,
                    kind=request.kind,
                    status=ResponseStatus.OK if profile else ResponseStatus.NOT_FOUND,
                    company_number=request.company_number,
                    body=msgspec.Raw(msgspec.json.encode(profile)),
                    calls=1,
                    fetched_at=utcnow(),
                )
            )
            await message.ack()


def active_companies(sim: CompaniesHouseSimulator, count: int) -> list[str]:
    found = []
    for number in sim.population.iter_numbers(bulk_status="Active"):
        facts = sim.population.company(number)
        if facts is not None and facts.status == "active":
            found.append(number)
        if len(found) == count:
            return found
    raise AssertionError("not enough active companies")


async def test_strike_off_is_detected_from_filings_at_one_rest_call_per_company_when_profiles_lack_the_detail(  # noqa: E501
    settings: Settings, bus: tuple[NatsClient, Publisher], namespace: str
) -> None:
    client, publisher = bus
    config = SimulatorConfig(seed=5, size=5_000, omit_status_detail=True, heartbeat_interval=0.5)
    async with CompaniesHouseSimulator(config) as sim:
        service_settings = msgspec.structs.replace(
            settings,
            ch_stream_url=sim.stream_url,
            ch_stream_key=Secret("test-stream-key"),
            signal_grace_seconds=0.3,
        )
        requests: list[GatewayRequest] = []
        gateway = asyncio.create_task(play_gateway(client, publisher, namespace, sim, requests))
        try:
            async with running(service_settings) as service:
                await poll_until(
                    lambda: len(sim.stream.connections) == 2, message="both streams connected"
                )
                numbers = active_companies(sim, 4)
                kinds = {
                    numbers[0]: "compulsory",
                    numbers[1]: "voluntary",
                    numbers[2]: "compulsory",
                }
                for number, kind in kinds.items():
                    sim.stream.enter_strike_off(number, kind)  # type: ignore[arg-type]
                    facts = sim.population.company(number)
                    assert facts is not None
                    for _ in range(3):  # re-emissions: many events, still one call
                        sim.stream.engine.emit_profile(facts)
                sim.stream.emit_noise(50)

                async def entered() -> list[tuple[str | None, dict[str, object]]]:
                    found = await read_messages(client, namespace, "companies.strikeoff.entered")
                    return found if len(found) >= len(kinds) else []

                events = await poll_until(entered, timeout=20, message="three strike-offs")
                assert service.ready
        finally:
            gateway.cancel()
            await asyncio.gather(gateway, return_exceptions=True)

    assert {body["company_number"]: body["kind"] for _, body in events} == kinds
    assert {body["signal"] for _, body in events} == {"filing"}
    assert {body["source"] for _, body in events} == {"stream"}
    assert sorted(r.company_number or "" for r in requests) == sorted(kinds)


async def test_profile_events_with_the_detail_enter_and_leave_without_any_rest_call(
    settings: Settings, bus: tuple[NatsClient, Publisher], namespace: str
) -> None:
    client, _ = bus
    config = SimulatorConfig(seed=6, size=5_000, heartbeat_interval=0.5)
    async with CompaniesHouseSimulator(config) as sim:
        service_settings = msgspec.structs.replace(
            settings,
            ch_stream_url=sim.stream_url,
            ch_stream_key=Secret("test-stream-key"),
            signal_grace_seconds=0.3,
        )
        async with running(service_settings):
            await poll_until(lambda: len(sim.stream.connections) == 2, message="connected")
            first, second = active_companies(sim, 2)
            sim.stream.enter_strike_off(first, "voluntary")
            sim.stream.enter_strike_off(second, "compulsory")

            async def entered() -> bool:
                found = await read_messages(client, namespace, "companies.strikeoff.entered")
                return len(found) == 2

            await poll_until(entered, timeout=15, message="two entries")
            sim.stream.leave_strike_off(first)
            sim.stream.leave_strike_off(second, "dissolved")

            async def left() -> list[tuple[str | None, dict[str, object]]]:
                found = await read_messages(client, namespace, "companies.strikeoff.left")
                return found if len(found) == 2 else []

            exits = await poll_until(left, timeout=15, message="two exits")
            await asyncio.sleep(0)
        requests = await read_messages(client, namespace, "chgw.requests.high")

    reasons = {body["company_number"]: body["reason"] for _, body in exits}
    assert reasons == {first: "discontinued", second: "dissolved"}
    assert requests == []
    assert dt.date.today() is not None
