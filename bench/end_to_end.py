"""P4: end to end, a strike-off stream event → a contact in the CRM (SPEC §6).

The composed pipeline runs in-process on embedded NATS JetStream and Postgres: stream-ingest
(Companies House stream simulator) → ch-gateway (REST simulator) → officer-fetcher →
snov-enricher (Snov.io simulator, results pushed to webhook-receiver) → crm-sync (GoHighLevel
simulator). Simulators add no latency (Snov.io tasks complete at once) and every quota is lifted
("quota free"), so the figure is the pipeline's own latency. 500 companies enter proposal to strike
off on the stream at a steady 20 per second; the latency of each contact is the GoHighLevel
``dateAdded`` of the contact minus the moment its company's stream event was emitted.

Baseline, run side by side against the same simulators: the same external calls made directly for
each company (officer list, domain search, e-mail search, upsert), concurrently, with no broker,
database or batching — the floor the simulators themselves impose.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import nats
from nats.js import JetStreamContext

import ch_gateway.bootstrap
import crm_sync.bootstrap
import officer_fetcher.bootstrap
import snov_enricher.bootstrap
import stream_ingest.bootstrap
import webhook_receiver.bootstrap
from bench.results import Result
from leadpipe_contracts import Decoder
from leadpipe_contracts.enrichment import DomainResolved
from leadpipe_contracts.officers import OfficersListed
from leadpipe_embedded import free_port
from leadpipe_runtime import Secret, Service
from leadpipe_simulators.companies_house import CompaniesHouseSimulator, SimulatorConfig
from leadpipe_simulators.ghl import GhlConfig, GhlSimulator
from leadpipe_simulators.snov import SnovConfig, SnovSimulator, TaskType
from leadpipe_testing.servers import nats_server, postgres_server

EVENTS = 500
RATE = 20.0  # stream events per second
UNLIMITED = 1_000_000_000
CH_REST_KEY = "test-rest-key"
SNOV_ID, SNOV_SECRET = "leadpipe-client", "leadpipe-secret"
PIPELINE_TOKEN, PIPELINE_LOCATION = "pit-bench-pipeline", "loc-bench-pipeline"
DIRECT_TOKEN, DIRECT_LOCATION = "pit-bench-direct", "loc-bench-direct"
WEBHOOK_SECRET = "bench-end-to-end-webhook-secret"  # noqa: S105 - local simulators only


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def added_at(contact: dict[str, Any]) -> float:
    """A contact's ``dateAdded`` as Unix seconds."""
    return dt.datetime.fromisoformat(contact["dateAdded"].replace("Z", "+00:00")).timestamp()


class Simulators:
    """The three external APIs, quota free and without added latency."""

    def __init__(self) -> None:
        self.ch = CompaniesHouseSimulator(
            SimulatorConfig(seed=5, size=6_000, rate_limit=UNLIMITED, rate_window=300.0)
        )
        self.snov = SnovSimulator(
            SnovConfig(
                balance=UNLIMITED,
                rate_limit=UNLIMITED,
                domain_task_delay=0.0,
                email_task_delay=0.0,
            )
        )
        self.ghl = GhlSimulator(
            GhlConfig(
                tokens={PIPELINE_TOKEN: PIPELINE_LOCATION, DIRECT_TOKEN: DIRECT_LOCATION},
                burst_limit=UNLIMITED,
                daily_limit=UNLIMITED,
            )
        )

    async def start(self) -> None:
        await self.ch.start()
        await self.snov.start()
        await self.ghl.start()

    async def stop(self) -> None:
        await self.ghl.stop()
        await self.snov.stop()
        await self.ch.stop()

    def candidates(self, count: int) -> list[str]:
        """Active companies outside strike-off that have officers."""
        return self.ch.population.strike_off_candidates(count)


async def start_pipeline(sims: Simulators, nats_url: str, database_url: str) -> list[Service[Any]]:
    """The six services of the lead path, in one namespace, tuned only to lift quotas."""
    hook_port = free_port()
    common: dict[str, Any] = {
        "nats_url": nats_url,
        "database_url": Secret(database_url),
        "namespace": "bench",
        "ops_port": 0,
        "log_level": "WARNING",
        "shutdown_grace_seconds": 2,
    }
    secret = Secret(WEBHOOK_SECRET)
    own: dict[Any, dict[str, Any]] = {
        stream_ingest.bootstrap.definition: {
            "ch_stream_url": sims.ch.stream_url,
            "ch_stream_key": Secret("test-stream-key"),
        },
        ch_gateway.bootstrap.definition: {
            "ch_api_url": sims.ch.rest_url,
            "ch_api_key": Secret(CH_REST_KEY),
            "ch_rate_limit": UNLIMITED,
        },
        officer_fetcher.bootstrap.definition: {"scheduler_interval_seconds": 0.05},
        webhook_receiver.bootstrap.definition: {
            "webhook_secret": secret,
            "http_port": hook_port,
            "rate_limit_requests": UNLIMITED,
        },
        snov_enricher.bootstrap.definition: {
            "snov_api_url": sims.snov.url,
            "snov_client_id": SNOV_ID,
            "snov_client_secret": Secret(SNOV_SECRET),
            "webhook_secret": secret,
            "public_webhook_url": f"http://127.0.0.1:{hook_port}",
            "snov_rate_limit": UNLIMITED,
            "monthly_budget": UNLIMITED,
            "batch_fill_wait_seconds": 0.05,
            "tick_seconds": 0.05,
            "include_unknown": True,
        },
        crm_sync.bootstrap.definition: {
            "ghl_api_url": sims.ghl.url,
            "ghl_token": Secret(PIPELINE_TOKEN),
            "ghl_location_id": PIPELINE_LOCATION,
            "ghl_burst_limit": UNLIMITED,
            "ghl_daily_limit": UNLIMITED,
        },
    }
    services: list[Service[Any]] = []
    for definition, settings in own.items():
        service = Service(definition, definition.settings_type(**common, **settings))
        await service.start()
        services.append(service)
    return services


async def read_stream(js: JetStreamContext, stream: str, event_type: Any) -> list[Any]:
    """Every event of one type in a stream."""
    info = await js.stream_info(stream)
    decoder: Decoder[Any] = Decoder(event_type)
    events: list[Any] = []
    if info.state.messages:
        for sequence in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg(stream, sequence)
            try:
                events.append(decoder.decode(message.data or b""))
            except msgspec.DecodeError:
                continue
    return events


async def settle(sims: Simulators, js: JetStreamContext, numbers: list[str]) -> None:
    """Wait until every company went through every stage its data allows (bounded).

    Officers listed for all; a domain resolved for each company with an individual director;
    e-mails searched for each domain found; every Snov.io task done; every lead found is in the
    CRM; then a short quiet period for the last tag calls.
    """
    deadline = time.monotonic() + 600
    stage = 0
    searchable: set[str] = set()
    domains: set[str] = set()
    quiet_since = time.monotonic()
    last = -1
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        if stage == 0:
            listed = await read_stream(js, "BENCH_OFFICERS", OfficersListed)
            if {event.company_number for event in listed} >= set(numbers):
                searchable = {e.company_number for e in listed if e.has_active_individual_director}
                stage = 1
        elif stage == 1:
            resolved = await read_stream(js, "BENCH_ENRICHMENT", DomainResolved)
            companies = {event.company_number for event in resolved}
            if len(companies) != last:
                last, quiet_since = len(companies), time.monotonic()
            # A company snov-enricher does not search (e.g. an LLP whose members are not
            # directors) never resolves: stop waiting once nothing moved for 10 s.
            if companies >= searchable or time.monotonic() - quiet_since > 10:
                domains = {e.domain for e in resolved if e.found and e.domain}
                stage, last = 2, -1
        else:
            tasks = sims.snov.tasks()
            searched = {r.domain for t in tasks if t.task_type is TaskType.EMAILS for r in t.rows}
            info = await js.stream_info("BENCH_CONTACTS")
            contacts = len(sims.ghl.contacts(PIPELINE_LOCATION))
            done = domains <= searched and all(task.done for task in tasks)
            if not done or contacts < info.state.messages or contacts != last:
                last, quiet_since = contacts, time.monotonic()
            elif time.monotonic() - quiet_since > 3:
                return
    raise RuntimeError(f"the pipeline did not settle (stage {stage})")


async def measure_pipeline(sims: Simulators, nats_url: str, numbers: list[str]) -> list[float]:
    """Emit the stream events at ``RATE`` and collect each contact's latency."""
    emitted: dict[str, float] = {}
    started = time.monotonic()
    for index, number in enumerate(numbers):
        await asyncio.sleep(max(0.0, started + index / RATE - time.monotonic()))
        emitted[number] = time.time()
        sims.ch.stream.enter_strike_off(number, "voluntary")
    client = await nats.connect(nats_url)
    try:
        await settle(sims, client.jetstream(), numbers)
    finally:
        await client.close()
    field_id = next(
        f.id for f in sims.ghl.custom_fields(PIPELINE_LOCATION) if f.name == "Company Number"
    )
    latencies = []
    for contact in sims.ghl.contacts(PIPELINE_LOCATION):
        values = {item["id"]: item["value"] for item in contact["customFields"]}
        number = values.get(field_id)
        if number in emitted:
            latencies.append(added_at(contact) - emitted[number])
    return latencies


class DirectChain:
    """The baseline: each company's external calls made directly and at once."""

    def __init__(self, sims: Simulators, session: aiohttp.ClientSession) -> None:
        self._sims = sims
        self._session = session
        self._snov_token = ""
        key = base64.b64encode(f"{CH_REST_KEY}:".encode()).decode()
        self._ch_auth = {"Authorization": f"Basic {key}"}
        self._ghl = {"Authorization": f"Bearer {DIRECT_TOKEN}", "Version": "2021-07-28"}

    async def token(self) -> None:
        async with self._session.post(
            self._sims.snov.url + "/v1/oauth/access_token",
            data={
                "grant_type": "client_credentials",
                "client_id": SNOV_ID,
                "client_secret": SNOV_SECRET,
            },
        ) as response:
            self._snov_token = (await response.json())["access_token"]

    async def _snov_task(self, kind: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self._snov_token}"}
        base = f"{self._sims.snov.url}/v2/{kind}"
        async with self._session.post(f"{base}/start", json=body, headers=headers) as response:
            started = await response.json()
        if "data" not in started:
            raise RuntimeError(f"{kind} start refused: {started}")
        task_hash = started["data"]["task_hash"]
        while True:
            async with self._session.get(
                f"{base}/result", params={"task_hash": task_hash}, headers=headers
            ) as response:
                result = await response.json()
            if result.get("status") != "in_progress":
                data: list[dict[str, Any]] = result.get("data") or []
                return data
            await asyncio.sleep(0.005)

    async def lead(self, number: str, emitted: float) -> list[float]:
        """One company's chain; returns the latency of each contact made."""
        facts = self._sims.ch.population.company(number)
        assert facts is not None
        async with self._session.get(
            f"{self._sims.ch.rest_url}/company/{number}/officers",
            params={"items_per_page": "100"},
            headers=self._ch_auth,
        ) as response:
            items = (await response.json()).get("items", [])
        people = []
        for item in items:
            role = str(item.get("officer_role", ""))
            if item.get("resigned_on") or "director" not in role or "corporate" in role:
                continue
            surname, _, forenames = str(item.get("name", "")).partition(",")
            if forenames.strip():
                people.append((forenames.split()[0].title(), surname.strip().title()))
        people = people[:10]  # Snov.io takes at most 10 rows per start call
        if not people:
            return []
        found = await self._snov_task("company-domain-by-name", {"names": [facts.name]})
        result = found[0].get("result") if found else None
        domain = result.get("domain") if isinstance(result, dict) else None
        if not domain:
            return []
        rows = [{"first_name": f, "last_name": s, "domain": domain} for f, s in people]
        emails = await self._snov_task("emails-by-domain-by-name", {"rows": rows})
        latencies = []
        for entry, (first, last) in zip(emails, people, strict=False):
            for candidate in (entry.get("result") or [])[:1]:
                body = {
                    "locationId": DIRECT_LOCATION,
                    "firstName": first,
                    "lastName": last,
                    "email": candidate["email"],
                    "companyName": facts.name,
                }
                async with self._session.post(
                    self._sims.ghl.url + "/contacts/upsert", json=body, headers=self._ghl
                ) as response:
                    await response.read()
                latencies.append(time.time() - emitted)
        return latencies


async def measure_direct(sims: Simulators, numbers: list[str]) -> list[float]:
    """Run the baseline chains at ``RATE`` companies per second."""
    async with aiohttp.ClientSession() as session:
        chain = DirectChain(sims, session)
        await chain.token()
        started = time.monotonic()
        running = []
        for index, number in enumerate(numbers):
            await asyncio.sleep(max(0.0, started + index / RATE - time.monotonic()))
            running.append(asyncio.create_task(chain.lead(number, time.time())))
        results = await asyncio.gather(*running)
    return [latency for chain_latencies in results for latency in chain_latencies]


def describe(name: str, latencies: list[float]) -> None:
    """Print the distribution of one run."""
    if not latencies:
        print(f"  {name}: no contacts")
        return
    print(
        f"  {name}: {len(latencies)} contacts, p50 {percentile(latencies, 0.5):.3f} s, "
        f"p90 {percentile(latencies, 0.9):.3f} s, p99 {percentile(latencies, 0.99):.3f} s, "
        f"max {max(latencies):.3f} s, mean {statistics.fmean(latencies):.3f} s"
    )


async def run() -> list[Result]:
    """Measure P4 and print the figures with the baseline beside them."""
    with (
        tempfile.TemporaryDirectory(prefix="leadpipe-bench-e2e-") as work,
        nats_server(Path(work) / "nats") as nats_url,
        postgres_server(Path(work) / "postgres") as database_url,
    ):
        sims = Simulators()
        await sims.start()
        services: list[Service[Any]] = []
        try:
            numbers = sims.candidates(2 * EVENTS)
            direct = await measure_direct(sims, numbers[EVENTS:])
            services = await start_pipeline(sims, nats_url, database_url)
            pipeline = await measure_pipeline(sims, nats_url, numbers[:EVENTS])
        finally:
            for service in reversed(services):
                await service.stop()
            await sims.stop()
    print(f"P4 end to end: {EVENTS} strike-off stream events at {RATE:g}/s")
    describe("direct calls (baseline)", direct)
    describe("pipeline", pipeline)
    if not pipeline:
        raise RuntimeError("the pipeline produced no contacts")
    return [
        Result("P4 stream event → CRM contact p50", percentile(pipeline, 0.5), 1.5, False, " s"),
        Result("P4 stream event → CRM contact p99", percentile(pipeline, 0.99), 5.0, False, " s"),
    ]
