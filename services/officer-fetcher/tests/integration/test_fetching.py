"""Officers of strike-off companies are fetched through the gateway, stored and published once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Publisher, Topology
from leadpipe_contracts import Decoder, derive_id, utcnow
from leadpipe_contracts.companies import LeftReason, Source, StrikeOffKind, StrikeOffLeft
from leadpipe_contracts.gateway import GatewayResponse, Priority
from leadpipe_contracts.officers import OfficersListed
from leadpipe_simulators.companies_house import CompaniesHouseSimulator
from leadpipe_testing import poll_until

from .conftest import GatewayDouble, ServiceFactory, entered, expected_calls

pytestmark = pytest.mark.integration


def schema(namespace: str) -> str:
    return f"{namespace}_officer_fetcher"


async def fetched(pg: asyncpg.Connection, namespace: str) -> dict[str, int]:
    rows = await pg.fetch(
        f"SELECT company_number, officers_total FROM {schema(namespace)}.companies"
        " WHERE officers_fetched_at IS NOT NULL"
    )
    return {row["company_number"]: row["officers_total"] for row in rows}


async def stream_messages(
    nats_client: NatsClient, namespace: str, base: str, subject: str
) -> list[bytes]:
    """Every message on a subject, oldest first."""
    js = nats_client.jetstream()
    topology = Topology(namespace)
    stream = topology.stream_name(base)
    info = await js.stream_info(stream)
    found: list[bytes] = []
    for sequence in range(max(info.state.first_seq, 1), info.state.last_seq + 1):
        message = await js.get_msg(stream, sequence)
        if message.subject == topology.subject(subject):
            found.append(message.data or b"")
    return found


async def consumers_drained(nats_client: NatsClient, namespace: str, *names: str) -> bool:
    js = nats_client.jetstream()
    topology = Topology(namespace)
    for name in names:
        spec = topology.consumer("officer-fetcher", name)
        info = await js.consumer_info(topology.stream_name(spec.stream), topology.durable(spec))
        if info.num_pending or info.num_ack_pending:
            return False
    return True


def left_event(number: str, observed_at: dt.datetime) -> StrikeOffLeft:
    return StrikeOffLeft(
        event_id=derive_id("left", number, observed_at.isoformat()),
        occurred_at=observed_at,
        company_number=number,
        source=Source.STREAM,
        reason=LeftReason.DISCONTINUED,
        observed_at=observed_at,
    )


def active_companies(simulator: CompaniesHouseSimulator, count: int) -> list[str]:
    population = simulator.population
    found = []
    for number in population.iter_numbers():
        facts = population.company(number)
        if facts is not None and facts.status == "active" and not facts.is_strike_off:
            found.append(number)
        if len(found) == count:
            return found
    raise AssertionError("population has too few active companies")


async def test_every_strike_off_company_gets_its_officers_at_one_call_per_hundred(
    start_service: ServiceFactory,
    simulator: CompaniesHouseSimulator,
    gateway: GatewayDouble,
    publisher: Publisher,
    pg_connection: asyncpg.Connection,
    nats_client: NatsClient,
    namespace: str,
) -> None:
    population = simulator.population
    bulk = list(population.strike_off_numbers())
    population.force_officer_count(bulk[0], 250)
    population.force_officer_count(bulk[1], 101)
    await start_service()

    # The bulk snapshot's strike-off companies, then three companies entering on the stream.
    for number in bulk:
        facts = population.company(number)
        assert facts is not None
        await publisher.publish(entered(number, name=facts.name))
    streamed = active_companies(simulator, 3)
    for number in streamed:
        simulator.stream.enter_strike_off(number, kind="voluntary")
        facts = population.company(number)
        assert facts is not None
        await publisher.publish(
            entered(
                number,
                source=Source.STREAM,
                name=facts.name,
                kind=StrikeOffKind.VOLUNTARY,
                etag=facts.etag,
            )
        )
    everyone = bulk + streamed

    done = await poll_until(
        lambda: _all_fetched(pg_connection, namespace, everyone),
        timeout=60,
        message="officers of every strike-off company",
    )
    for number in everyone:
        items = population.officers(number)
        assert items is not None
        assert done[number] == len(items)
        stored = await pg_connection.fetchval(
            f"SELECT count(*) FROM {schema(namespace)}.officers WHERE company_number = $1",
            number,
        )
        assert stored == len(items)
        # One request per company, and the list cost ceil(total / 100) upstream calls.
        assert len(gateway.served(number)) == 1
        upstream = [
            r for r in simulator.rest.requests.records if r.path == f"/company/{number}/officers"
        ]
        assert len(upstream) == expected_calls(len(items))
    assert gateway.calls[bulk[0]] == 3
    assert gateway.calls[bulk[1]] == 2
    assert {r.priority for n in streamed for r in gateway.served(n)} == {Priority.HIGH}
    assert {r.priority for n in bulk for r in gateway.served(n)} == {Priority.LOW}

    listed = await poll_until(
        lambda: _listed(nats_client, namespace, len(everyone)),
        timeout=20,
        message="one OfficersListed per company",
    )
    decoder: Decoder[OfficersListed] = Decoder(OfficersListed)
    events = {e.company_number: e for e in (decoder.decode(data) for data in listed)}
    assert set(events) == set(everyone)
    for number, event in events.items():
        items = population.officers(number) or []
        active = [i for i in items if "resigned_on" not in i]
        assert len(event.officers) == len(active)
        assert event.total_results == len(items)


async def _all_fetched(
    pg: asyncpg.Connection, namespace: str, numbers: list[str]
) -> dict[str, int] | None:
    done = await fetched(pg, namespace)
    return done if set(numbers) <= set(done) else None


async def _listed(nats_client: NatsClient, namespace: str, count: int) -> list[bytes] | None:
    messages = await stream_messages(nats_client, namespace, "OFFICERS", "officers.listed")
    return messages if len(messages) >= count else None


async def _snapshot(pg: asyncpg.Connection, namespace: str) -> dict[str, Any]:
    officers = await pg.fetch(
        f"SELECT * FROM {schema(namespace)}.officers ORDER BY company_number, appointment_key"
    )
    companies = await pg.fetch(
        f"SELECT company_number, in_strike_off, fetch_state, requests_made, officers_fetched_at,"
        f" officers_etag, officers_total FROM {schema(namespace)}.companies ORDER BY 1"
    )
    return {"officers": [dict(r) for r in officers], "companies": [dict(r) for r in companies]}


async def test_replaying_strike_off_entries_and_gateway_responses_changes_nothing(
    start_service: ServiceFactory,
    simulator: CompaniesHouseSimulator,
    gateway: GatewayDouble,
    publisher: Publisher,
    pg_connection: asyncpg.Connection,
    nats_client: NatsClient,
    namespace: str,
) -> None:
    population = simulator.population
    numbers = list(population.strike_off_numbers(limit=4))
    await start_service()
    events = [
        entered(n, source=Source.STREAM if i % 2 else Source.BULK) for i, n in enumerate(numbers)
    ]
    for event in events:
        await publisher.publish(event)
    await poll_until(lambda: _all_fetched(pg_connection, namespace, numbers), timeout=30)
    await poll_until(lambda: _listed(nats_client, namespace, len(numbers)), timeout=20)
    before = await _snapshot(pg_connection, namespace)
    requests_before = len(gateway.received)
    responses = await stream_messages(
        nats_client, namespace, "CHGW_RESPONSES", "chgw.responses.officer_list"
    )
    assert len(responses) == len(numbers)

    # Replay both inputs under new message ids, so only the service itself can recognise them.
    for event in events:
        await publisher.publish(event, msg_id=f"replay:{event.event_id}")
    decoder: Decoder[GatewayResponse] = Decoder(GatewayResponse)
    for data in responses:
        response = decoder.decode(data)
        await publisher.publish(response, msg_id=f"replay:{response.event_id}")
    await poll_until(
        lambda: consumers_drained(nats_client, namespace, "strikeoff", "responses"),
        timeout=20,
        message="replays consumed",
    )

    assert await _snapshot(pg_connection, namespace) == before
    assert len(gateway.received) == requests_before
    listed = await stream_messages(nats_client, namespace, "OFFICERS", "officers.listed")
    assert len(listed) == len(numbers)


async def test_a_fresh_list_is_not_fetched_again_until_the_company_etag_changes(
    start_service: ServiceFactory,
    simulator: CompaniesHouseSimulator,
    gateway: GatewayDouble,
    publisher: Publisher,
    nats_client: NatsClient,
    namespace: str,
) -> None:
    number = next(iter(simulator.population.strike_off_numbers()))
    await start_service()
    start = utcnow()

    async def listed_times(count: int) -> list[bytes] | None:
        found = await stream_messages(nats_client, namespace, "OFFICERS", "officers.listed")
        return found if len(found) >= count else None

    await publisher.publish(entered(number, source=Source.STREAM, etag="e1", observed_at=start))
    await poll_until(lambda: listed_times(1), timeout=20, message="first list")
    assert len(gateway.served(number)) == 1

    # Left and entered again within the freshness period: bulk (no etag) and the same etag
    # reuse the stored list, published again for the new entry, without a request.
    for step, (source, etag) in enumerate(((Source.BULK, None), (Source.STREAM, "e1")), start=1):
        await publisher.publish(left_event(number, start + dt.timedelta(seconds=2 * step - 1)))
        await publisher.publish(
            entered(
                number, source=source, etag=etag, observed_at=start + dt.timedelta(seconds=2 * step)
            )
        )
        await poll_until(lambda step=step: listed_times(1 + step), timeout=20, message="re-listed")
        await poll_until(lambda: consumers_drained(nats_client, namespace, "strikeoff"), timeout=20)
        assert len(gateway.served(number)) == 1

    # A changed etag means the company changed: the list is fetched again.
    await publisher.publish(left_event(number, start + dt.timedelta(seconds=5)))
    await publisher.publish(
        entered(
            number, source=Source.STREAM, etag="e2", observed_at=start + dt.timedelta(seconds=6)
        )
    )
    await poll_until(lambda: len(gateway.served(number)) == 2, timeout=20, message="re-fetched")


async def test_bulk_entries_wait_in_the_low_lane_instead_of_flooding_the_gateway_queue(
    start_service: ServiceFactory,
    simulator: CompaniesHouseSimulator,
    gateway: GatewayDouble,
    publisher: Publisher,
    pg_connection: asyncpg.Connection,
    nats_client: NatsClient,
    namespace: str,
) -> None:
    numbers = list(simulator.population.iter_numbers())[:20]
    gateway.running.clear()
    await start_service(low_lane_size=5)
    for number in numbers:
        await publisher.publish(entered(number))
    js = nats_client.jetstream()
    topology = Topology(namespace)

    async def queued_low() -> int:
        subject = topology.subject("chgw.requests.low")
        info = await js.stream_info(topology.stream_name("CHGW_REQUESTS"), subjects_filter=subject)
        return int((info.state.subjects or {}).get(subject, 0))

    await poll_until(lambda: _wanted(pg_connection, namespace, 15), timeout=20)
    assert await poll_until(queued_low, timeout=20) == 5
    await poll_until(lambda: consumers_drained(nats_client, namespace, "strikeoff"), timeout=20)
    assert await queued_low() == 5

    gateway.running.set()
    await poll_until(lambda: _all_fetched(pg_connection, namespace, numbers), timeout=30)
    assert sorted(r.company_number or "" for r in gateway.received) == sorted(numbers)


async def _wanted(pg: asyncpg.Connection, namespace: str, count: int) -> bool:
    found = await pg.fetchval(
        f"SELECT count(*) FROM {schema(namespace)}.companies WHERE fetch_state = 'wanted'"
    )
    return bool(found == count)
