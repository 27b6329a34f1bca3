"""The composed lead path for integration tests: every simulator and the services, in-process.

stream-ingest (CH stream) → ch-gateway (CH REST) → officer-fetcher → snov-enricher (Snov.io,
results pushed to webhook-receiver) → crm-sync (GoHighLevel); query-api too when a test reads
through its HTTP API. Every service runs under the shared runtime, in one namespace, on the real
NATS and Postgres of the test fixtures.
"""

from __future__ import annotations

from typing import Any

import msgspec
from nats.aio.client import Client as NatsClient

import ch_gateway.bootstrap
import crm_sync.bootstrap
import officer_fetcher.bootstrap
import query_api.bootstrap
import snov_enricher.bootstrap
import stream_ingest.bootstrap
import webhook_receiver.bootstrap
from leadpipe_contracts import Decoder
from leadpipe_embedded import free_port
from leadpipe_runtime import Secret, Service
from leadpipe_simulators.companies_house import CompaniesHouseSimulator, SimulatorConfig
from leadpipe_simulators.ghl import GhlConfig, GhlSimulator
from leadpipe_simulators.snov import SnovConfig, SnovSimulator

GHL_TOKEN = "pit-integration"
LOCATION = "loc-integration"
WEBHOOK_SECRET = "integration-webhook-secret"


class Pipeline:
    """The simulators and the services of the lead path (and query-api when asked for).

    Args:
        seed: Seed of the Companies House population.
        with_query_api: Also run query-api, serving HTTP on ``http_port``.
    """

    def __init__(self, *, seed: int, with_query_api: bool = False) -> None:
        self.ch = CompaniesHouseSimulator(SimulatorConfig(seed=seed, size=3_000))
        self.snov = SnovSimulator(SnovConfig(domain_task_delay=0.0, email_task_delay=0.0))
        self.ghl = GhlSimulator(GhlConfig(tokens={GHL_TOKEN: LOCATION}))
        self.with_query_api = with_query_api
        self.http_port = free_port()
        self.services: list[Service[Any]] = []
        self.query_api: Service[Any] | None = None

    async def start(self, nats_url: str, database_url: str, namespace: str) -> None:
        await self.ch.start()
        await self.snov.start()
        await self.ghl.start()
        hook_port = free_port()
        common: dict[str, Any] = {
            "nats_url": nats_url,
            "database_url": Secret(database_url),
            "namespace": namespace,
            "ops_port": 0,
            "shutdown_grace_seconds": 2,
        }
        secret = Secret(WEBHOOK_SECRET)
        own: dict[Any, dict[str, Any]] = {
            stream_ingest.bootstrap.definition: {
                "ch_stream_url": self.ch.stream_url,
                "ch_stream_key": Secret("test-stream-key"),
            },
            ch_gateway.bootstrap.definition: {
                "ch_api_url": self.ch.rest_url,
                "ch_api_key": Secret("test-rest-key"),
            },
            officer_fetcher.bootstrap.definition: {},
            webhook_receiver.bootstrap.definition: {
                "webhook_secret": secret,
                "http_port": hook_port,
            },
            snov_enricher.bootstrap.definition: {
                "snov_api_url": self.snov.url,
                "snov_client_id": "leadpipe-client",
                "snov_client_secret": Secret("leadpipe-secret"),
                "webhook_secret": secret,
                "public_webhook_url": f"http://127.0.0.1:{hook_port}",
                "batch_fill_wait_seconds": 0.2,
                "include_unknown": True,
            },
            crm_sync.bootstrap.definition: {
                "ghl_api_url": self.ghl.url,
                "ghl_token": Secret(GHL_TOKEN),
                "ghl_location_id": LOCATION,
            },
        }
        if self.with_query_api:
            own[query_api.bootstrap.definition] = {
                "http_port": self.http_port,
                "jwt_secret": Secret("integration-test-signing-key-0123456789"),
                "rate_limit_per_minute": 10_000,
            }
        for definition, settings in own.items():
            service = Service(definition, definition.settings_type(**common, **settings))
            self.services.append(service)
            await service.start()
            if definition is query_api.bootstrap.definition:
                self.query_api = service

    async def stop(self) -> None:
        for service in reversed(self.services):
            await service.stop()
        await self.ghl.stop()
        await self.snov.stop()
        await self.ch.stop()

    def candidates(self, count: int) -> list[str]:
        """Active companies outside strike-off that have officers."""
        return self.ch.population.strike_off_candidates(count)


async def read_stream(nats_client: NatsClient, stream: str, event_type: Any) -> list[Any]:
    """Every event of one type in a stream (other types are skipped)."""
    js = nats_client.jetstream()
    info = await js.stream_info(stream)
    decoder: Decoder[Any] = Decoder(event_type)
    events: list[Any] = []
    if not info.state.messages:
        return events
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        message = await js.get_msg(stream, sequence)
        try:
            events.append(decoder.decode(message.data or b""))
        except msgspec.DecodeError:
            continue
    return events
