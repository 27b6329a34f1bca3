"""The composed flow: bulk snapshot and live stream → stream-ingest → officer-fetcher → ch-gateway.

Real stream-ingest, ch-gateway and officer-fetcher on real NATS and Postgres, against the
Companies House simulator (REST, streaming and the bulk file generator over one population).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import asyncpg
import pytest

from ch_gateway.bootstrap import definition as gateway_definition
from ch_gateway.settings import Settings as GatewaySettings
from leadpipe_runtime import Secret, Service
from leadpipe_simulators.companies_house import (
    CompaniesHouseSimulator,
    SimulatorConfig,
    write_snapshot,
)
from leadpipe_testing import poll_until
from stream_ingest.bootstrap import definition as ingest_definition
from stream_ingest.cli import bulk_import
from stream_ingest.settings import Settings as IngestSettings

from .conftest import ServiceFactory, expected_calls
from .test_fetching import _all_fetched, active_companies, schema

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SEED, SIZE = 23, 400


async def test_snapshot_and_stream_strike_offs_get_officers_through_the_real_gateway(
    start_service: ServiceFactory,
    pg_connection: asyncpg.Connection,
    nats_url: str,
    database_url: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    config = SimulatorConfig(seed=SEED, size=SIZE, heartbeat_interval=0.5)
    snapshot = write_snapshot(tmp_path, rows=SIZE, seed=SEED, zipped=False, workers=1)
    services: list[Service[object]] = []
    async with CompaniesHouseSimulator(config) as simulator:
        population = simulator.population
        bulk = list(population.strike_off_numbers())
        assert len(bulk) == snapshot.strike_off_count > 10
        population.force_officer_count(bulk[0], 250)
        population.force_officer_count(bulk[1], 100)
        population.force_officer_count(bulk[2], 101)
        common = {
            "nats_url": nats_url,
            "database_url": Secret(database_url),
            "namespace": namespace,
            "ops_port": 0,
            "shutdown_grace_seconds": 2.0,
        }
        gateway_settings = GatewaySettings(
            **common,
            ch_api_url=simulator.rest_url,
            ch_api_key=Secret("test-rest-key"),
            status_interval_seconds=0.5,
            lease_poll_seconds=0.2,
            fetch_poll_seconds=0.2,
        )
        ingest_settings = IngestSettings(
            **common,
            ch_stream_url=simulator.stream_url,
            ch_stream_key=Secret("test-stream-key"),
        )
        try:
            for service in (
                Service(gateway_definition, gateway_settings),
                Service(ingest_definition, ingest_settings),
            ):
                await service.start()
                services.append(service)  # type: ignore[arg-type]
            await start_service()

            summary = await bulk_import(ingest_settings, str(snapshot.path))
            assert summary.entered == len(bulk)
            await poll_until(lambda: len(simulator.stream.connections) == 2, timeout=20)
            streamed = active_companies(simulator, 3)
            for number in streamed:
                simulator.stream.enter_strike_off(number, kind="voluntary")
            everyone = bulk + streamed

            done = await poll_until(
                lambda: _all_fetched(pg_connection, namespace, everyone),
                timeout=90,
                message="officers of every strike-off company",
            )
        finally:
            for service in reversed(services):
                await service.stop()

        officer_calls = Counter(
            record.path.split("/")[2]
            for record in simulator.rest.requests.records
            if record.path.endswith("/officers")
        )
        for number in everyone:
            items = population.officers(number)
            assert items is not None
            assert done[number] == len(items)
            assert officer_calls[number] == expected_calls(len(items)), number
            stored = await pg_connection.fetchval(
                f"SELECT count(*) FROM {schema(namespace)}.officers WHERE company_number = $1",
                number,
            )
            assert stored == len(items)
        assert set(officer_calls) == set(everyone)
        assert (officer_calls[bulk[0]], officer_calls[bulk[1]], officer_calls[bulk[2]]) == (3, 1, 2)
        assert simulator.rest.requests.count(429) == 0
