"""Crash anywhere (SPEC §7): ``kill -9`` of every service at random points of an end-to-end run
leaves exactly the state of an unfaulted run; and every service recovers by itself within 30 s
of a NATS restart and of a Postgres restart.

The seven services run as real OS processes (``python -m <service>``) against a NATS JetStream
and a Postgres of this module's own; the Companies House, Snov.io and GoHighLevel simulators run
in the test process (the Companies House REST API in a process of its own), so their ground
truth (every REST call, every credit charged, every contact) is read directly. The same seeded
run of ``LEADPIPE_RESILIENCE_COMPANIES`` (default 2,000) companies entering proposal to strike
off is made twice at once, in two namespaces: untouched
(the reference) and while a killer SIGKILLs a random service at random times — each of the
seven at least once — and restarts it. The faulted run's final state must equal the reference's:
the same leads (company + officer) synced by crm-sync; the same GoHighLevel contacts, each exactly
once, with the same content (apart from facts whose value depends on event order even without
faults, see ``RACY_*``); the same Snov.io credits and searches; zero Companies House 429s and never
more than the limit in any trailing window.

Figures go to ``LEADPIPE_RESILIENCE_REPORT`` (JSON; default ``resilience.json`` in pytest's base
temp dir); ``resilience_report.py`` renders them into ``docs/resilience.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import nats
import nats.errors
import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import SERVICES, Topology
from leadpipe_cli.setup_cmd import run_setup
from leadpipe_embedded import EmbeddedNats, EmbeddedPostgres, free_port
from leadpipe_simulators.companies_house import CompaniesHouseSimulator, SimulatorConfig
from leadpipe_simulators.ghl import GhlConfig, GhlSimulator
from leadpipe_simulators.snov import SnovConfig, SnovSimulator
from leadpipe_simulators.snov.names import normalise_company_name
from leadpipe_testing import poll_until
from leadpipe_testing.chaos import Killer, KillRecord, kill_schedule
from leadpipe_testing.processes import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.chaos]

# What `make test` runs (about 3 minutes on 2 cores); fewer for a quicker local loop.
COMPANIES = int(os.environ.get("LEADPIPE_RESILIENCE_COMPANIES", "2000"))
KILLS = int(os.environ.get("LEADPIPE_RESILIENCE_KILLS", "14"))
SEED = int(os.environ.get("LEADPIPE_RESILIENCE_SEED", str(random.SystemRandom().randrange(10**6))))
POPULATION_SEED = 17
POPULATION = max(5_000, 3 * COMPANIES)
FEED_RATE = 50.0  # strike-off entries per second on the stream
# Companies House on an accelerated window: 300 calls per 5 s instead of 600 per 300 s, so the
# limiter is saturated by the run (≈ 58 calls/s budget for ≈ 50 companies/s) and 2,000
# companies fit in about a minute.
CH_LIMIT, CH_WINDOW = 300, 5.0
RECOVERY_SECONDS = 30.0
SETTLE_SECONDS = 600.0
DEPENDENCY_COMPANIES = 20  # before the restarts, and again during them
OUTAGE_SECONDS = 5.0
REST_KEY, STREAM_KEY = "resilience-rest-key", "resilience-stream-key"
SNOV_ID, SNOV_SECRET = "resilience-client", "resilience-client-secret"
GHL_TOKEN, GHL_LOCATION = "pit-resilience", "loc-resilience"
WEBHOOK_SECRET = "resilience-webhook-secret-0123456789"
JWT_SECRET = "resilience-jwt-secret-0123456789abcdef0123456789"
# Streams whose message counts keep moving while the pipeline is idle (periodic status).
_PERIODIC = {"STATUS", "JOBS"}


# -- infrastructure of this module --------------------------------------------------------------


@pytest.fixture(scope="module")
def infra_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("resilience")


@pytest.fixture(scope="module")
def own_nats(infra_dir: Path) -> Iterator[EmbeddedNats]:
    """A NATS server of this module's own: the dependency test restarts it."""
    server = EmbeddedNats(infra_dir / "nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def own_postgres(infra_dir: Path) -> Iterator[EmbeddedPostgres]:
    """A Postgres server of this module's own: the dependency test restarts it."""
    server = EmbeddedPostgres(infra_dir / "postgres")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def report_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("LEADPIPE_RESILIENCE_REPORT")
    return Path(configured) if configured else tmp_path_factory.getbasetemp() / "resilience.json"


def densest_window(times: list[float], window: float) -> tuple[int, float]:
    """The most calls in any half-open interval ``[t, t + window)``, and that ``t``."""
    ordered = sorted(times)
    best, best_at, left = 0, 0.0, 0
    for right, at in enumerate(ordered):
        while at - ordered[left] >= window:
            left += 1
        if right - left + 1 > best:
            best, best_at = right - left + 1, ordered[left]
    return best, best_at


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def cpu_seconds(pid: int | None, *, with_children: bool = False) -> float:
    """User + system CPU time of a live process (and of its children it has reaped), from /proc."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if with_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


# -- one pipeline: simulators in this process, services as processes ----------------------------


@dataclass
class Outcome:
    """The final state of one run, as the simulators, the broker and crm-sync saw it.

    Attributes:
        leads: crm-sync's leads, ``<company number>:<officer id>`` -> status.
        contacts: GoHighLevel contacts by e-mail (its identity there), each with its content.
        shared: E-mails two directors share (one GoHighLevel contact whose name and company are
            those of whichever upsert came last).
        lookups: Snov.io searches per (task type, lookup) over completed tasks.
    """

    leads: dict[str, str]
    contacts: dict[str, list[dict[str, Any]]]
    shared: set[str]
    upserts: int
    lookups: Counter[tuple[str, str]]
    credits: int
    snov_tasks: int
    snov_429: int
    ch_calls: int
    ch_429: int
    ch_max_in_window: int
    ch_densest_at: float
    events_published: dict[str, int]
    events_processed: int
    dead_letters: int
    self_crashes: dict[str, int]
    cpu: dict[str, float] = field(default_factory=dict)


# Facts snov-enricher copies into a lead when it is found and does not send again when they
# arrive later, so they depend on the order of its two consumers even without faults.
RACY_TAGS = frozenset({"strike-off-voluntary", "strike-off-compulsory"})
RACY_FIELDS = frozenset({"Lead Score"})


def stable(content: dict[str, Any], *, shared: bool) -> dict[str, Any]:
    """A contact's content without the order-dependent parts (see ``RACY_*``); of a shared
    e-mail's contact only the e-mail is certain."""
    if shared:
        return {"email": content.get("email")}
    kept = dict(content)
    kept["tags"] = [tag for tag in content["tags"] if tag not in RACY_TAGS]
    kept["customFields"] = {
        k: v for k, v in content["customFields"].items() if k not in RACY_FIELDS
    }
    return kept


@dataclass
class Pipeline:
    """The seven services of one namespace and the three simulators they talk to."""

    namespace: str
    nats_url: str
    database_url: str
    log_dir: Path
    ch: CompaniesHouseSimulator = field(init=False)
    snov: SnovSimulator = field(init=False)
    ghl: GhlSimulator = field(init=False)
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    ch_rest: ServiceProcess = field(init=False)
    ch_rest_url: str = field(init=False)
    feed_started: float = 0.0
    _supervisor: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        # The stream (and its scenario API) runs here; the REST API that ch-gateway calls runs
        # in a process of its own over the same population, so the arrival times it records
        # (the limit check) are not skewed by pauses of this busy process.
        self.ch = CompaniesHouseSimulator(
            SimulatorConfig(
                seed=POPULATION_SEED,
                size=POPULATION,
                stream_keys=(STREAM_KEY,),
                heartbeat_interval=5.0,
            )
        )
        rest_port = free_port()
        self.ch_rest_url = f"http://127.0.0.1:{rest_port}"
        self.ch_rest = ServiceProcess(
            "companies-house-rest",
            "leadpipe_simulators",
            {k: v for k, v in os.environ.items() if not k.startswith("LEADPIPE_")},
            self.log_dir / "companies-house-rest.log",
            rest_port,
            args=(
                "companies-house",
                *("--rest-port", str(rest_port), "--stream-port", str(free_port())),
                *("--seed", str(POPULATION_SEED), "--size", str(POPULATION)),
                *("--rest-key", REST_KEY, "--stream-key", "unused-stream-key"),
                *("--rate-limit", str(CH_LIMIT), "--rate-window", str(CH_WINDOW)),
            ),
        )
        self.snov = SnovSimulator(
            SnovConfig(
                client_id=SNOV_ID,
                client_secret=SNOV_SECRET,
                balance=1_000_000,
                rate_limit=6_000,
                domain_task_delay=0.3,
                email_task_delay=0.3,
            )
        )
        self.ghl = GhlSimulator(
            GhlConfig(tokens={GHL_TOKEN: GHL_LOCATION}, burst_limit=2_000, daily_limit=1_000_000)
        )

    async def start(self) -> None:
        await self.ch.start()
        await self.ch_rest.start()
        await poll_until(
            lambda: self.ch_rest_get("/_sim/stats"), timeout=60, message="CH REST simulator up"
        )
        await self.snov.start()
        await self.ghl.start()
        await run_setup(self.nats_url, self.database_url, self.namespace)
        hook_port, api_port = free_port(), free_port()
        own: dict[str, dict[str, str]] = {
            "stream-ingest": {
                "LEADPIPE_CH_STREAM_URL": self.ch.stream_url,
                "LEADPIPE_CH_STREAM_KEY": STREAM_KEY,
                "LEADPIPE_STREAM_BACKOFF_INITIAL_SECONDS": "0.2",
                "LEADPIPE_STREAM_BACKOFF_MAX_SECONDS": "2",
                "LEADPIPE_STREAM_IDLE_TIMEOUT_SECONDS": "20",
            },
            "ch-gateway": {
                "LEADPIPE_CH_API_URL": self.ch_rest_url,
                "LEADPIPE_CH_API_KEY": REST_KEY,
                "LEADPIPE_CH_RATE_LIMIT": str(CH_LIMIT),
                "LEADPIPE_CH_RATE_WINDOW_SECONDS": str(CH_WINDOW),
                "LEADPIPE_LEASE_POLL_SECONDS": "0.5",
                "LEADPIPE_STATUS_INTERVAL_SECONDS": "5",
            },
            "officer-fetcher": {"LEADPIPE_SCHEDULER_INTERVAL_SECONDS": "0.2"},
            "snov-enricher": {
                "LEADPIPE_SNOV_API_URL": self.snov.url,
                "LEADPIPE_SNOV_CLIENT_ID": SNOV_ID,
                "LEADPIPE_SNOV_CLIENT_SECRET": SNOV_SECRET,
                "LEADPIPE_PUBLIC_WEBHOOK_URL": f"http://127.0.0.1:{hook_port}",
                "LEADPIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "LEADPIPE_SNOV_RATE_LIMIT": "5000",
                "LEADPIPE_MONTHLY_BUDGET": "1000000",
                "LEADPIPE_INCLUDE_UNKNOWN": "true",
                "LEADPIPE_BATCH_FILL_WAIT_SECONDS": "0.2",
                "LEADPIPE_TICK_SECONDS": "0.1",
                "LEADPIPE_WEBHOOK_TIMEOUT_SECONDS": "5",
                "LEADPIPE_POLL_INTERVAL_SECONDS": "1",
            },
            "webhook-receiver": {
                "LEADPIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "LEADPIPE_HTTP_PORT": str(hook_port),
                "LEADPIPE_RATE_LIMIT_REQUESTS": "100000",
            },
            "crm-sync": {
                "LEADPIPE_GHL_API_URL": self.ghl.url,
                "LEADPIPE_GHL_TOKEN": GHL_TOKEN,
                "LEADPIPE_GHL_LOCATION_ID": GHL_LOCATION,
                "LEADPIPE_GHL_BURST_LIMIT": "1800",
            },
            "query-api": {"LEADPIPE_JWT_SECRET": JWT_SECRET, "LEADPIPE_HTTP_PORT": str(api_port)},
        }
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("LEADPIPE_")}
        for name in SERVICES:
            port = free_port()
            env = {
                **inherited,
                "LEADPIPE_NATS_URL": self.nats_url,
                "LEADPIPE_DATABASE_URL": self.database_url,
                "LEADPIPE_NAMESPACE": self.namespace,
                "LEADPIPE_OPS_HOST": "127.0.0.1",
                "LEADPIPE_OPS_PORT": str(port),
                "LEADPIPE_SHUTDOWN_GRACE_SECONDS": "2",
                **own[name],
            }
            self.processes[name] = ServiceProcess(
                name, name.replace("-", "_"), env, self.log_dir / f"{name}.log", port
            )
        await asyncio.gather(*(process.start() for process in self.processes.values()))
        self._supervisor = asyncio.create_task(self._supervise())
        await self.all_ready(timeout=120)
        await poll_until(
            lambda: {c.stream for c in self.ch.stream.connections} >= {"companies", "filings"},
            timeout=60,
            message="stream-ingest connected to both streams",
        )

    async def all_ready(self, timeout: float) -> None:
        async def ready() -> bool:
            answers = await asyncio.gather(*(p.ready() for p in self.processes.values()))
            return all(answers)

        try:
            await poll_until(ready, timeout=timeout, interval=0.2, message="all services ready")
        except TimeoutError as exc:
            tails = {n: p.log_tail(1500) for n, p in self.processes.items() if not await p.ready()}
            raise AssertionError(f"{exc}\n{json.dumps(tails, indent=1)}") from exc

    async def _supervise(self) -> None:
        """Restart a service that exits by itself, as ``leadpipe up`` or a cluster would."""
        while True:
            for process in self.processes.values():
                if process.crashed:
                    await process.start()
            await asyncio.sleep(0.5)

    def self_crashes(self) -> dict[str, int]:
        """Incarnations that ended without being killed, per service."""
        return {name: p.crashes for name, p in self.processes.items() if p.crashes}

    async def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
        await asyncio.gather(*(process.stop() for process in self.processes.values()))
        await self.ghl.stop()
        await self.snov.stop()
        await self.ch_rest.stop()
        await self.ch.stop()

    async def ch_rest_get(self, path: str) -> Any:
        """A /_sim/ answer of the Companies House REST simulator (None while unreachable)."""
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
                session.get(self.ch_rest_url + path) as response,
            ):
                return await response.json() if response.status == 200 else None
        except (aiohttp.ClientError, TimeoutError):
            return None

    async def ch_calls(self) -> list[tuple[float, int]]:
        """(arrival time, status) of every authenticated REST call, in order."""
        records = await self.ch_rest_get("/_sim/requests")
        assert records is not None, "the Companies House REST simulator did not answer"
        return [(r["time"], r["status"]) for r in records if r["key"] is not None]

    async def feed(self, numbers: list[str]) -> None:
        """Move ``numbers`` into strike-off on the stream at ``FEED_RATE`` (kinds seeded)."""
        kinds = random.Random(POPULATION_SEED)
        self.feed_started = time.time()
        started = time.monotonic()
        for index, number in enumerate(numbers):
            # Pacing of the load, not a wait for a condition.
            await asyncio.sleep(max(0.0, started + index / FEED_RATE - time.monotonic()))
            kind = "compulsory" if kinds.random() < 0.4 else "voluntary"
            self.ch.stream.enter_strike_off(number, kind)

    # -- settling and the final state --------------------------------------------------------

    async def _busy(self, client: NatsClient, db: asyncpg.Connection, total: int) -> str | None:
        """What is still outstanding (None when nothing is)."""
        js = client.jetstream()
        topology = Topology(self.namespace)
        for spec in topology.consumers:
            info = await js.consumer_info(topology.stream_name(spec.stream), topology.durable(spec))
            if info.num_pending or info.num_ack_pending:
                return f"consumer {spec.durable}: {info.num_pending}/{info.num_ack_pending}"
        requests = await js.stream_info(topology.stream_name("CHGW_REQUESTS"))
        if requests.state.messages:
            return f"{requests.state.messages} gateway requests queued"
        ns = self.namespace
        fetched = await db.fetchval(
            f'SELECT count(*) FROM "{ns}_officer_fetcher".companies'  # noqa: S608 - test namespace
            " WHERE officers_fetched_at IS NOT NULL AND fetch_state = 'idle'"
        )
        if fetched < total:
            return f"officers fetched for {fetched}/{total}"
        for name in SERVICES:
            schema = f"{ns}_{name.replace('-', '_')}"
            exists = await db.fetchval("SELECT to_regclass($1)", f'"{schema}".outbox')
            if exists and await db.fetchval(
                f'SELECT count(*) FROM "{schema}".outbox WHERE published_at IS NULL'  # noqa: S608
            ):
                return f"{name} outbox not empty"
        snov = f'"{ns}_snov_enricher"'
        open_work = await db.fetchval(
            f"SELECT (SELECT count(*) FROM {snov}.domain_lookups"  # noqa: S608 - test namespace
            "         WHERE state IN ('pending', 'searching'))"
            f"     + (SELECT count(*) FROM {snov}.email_lookups"
            "         WHERE state IN ('pending', 'searching'))"
            f"     + (SELECT count(*) FROM {snov}.batches WHERE state IN ('starting', 'running'))"
        )
        if open_work:
            return f"{open_work} Snov.io lookups or batches open"
        if not all(task.done for task in self.snov.tasks()):
            return "Snov.io tasks in progress"
        return None

    async def _signature(self, client: NatsClient) -> tuple[int, ...]:
        js = client.jetstream()
        topology = Topology(self.namespace)
        seqs = []
        for spec in topology.streams:
            if spec.name not in _PERIODIC:
                seqs.append((await js.stream_info(topology.stream_name(spec.name))).state.last_seq)
        return (
            len(self.ghl.contacts(GHL_LOCATION)),
            self.ghl.request_log.total,
            ((await self.ch_rest_get("/_sim/stats")) or {}).get("requests", -1),
            self.snov.request_log.total,
            *seqs,
        )

    async def settle(self, total: int, timeout: float) -> float:
        """Wait (bounded) until nothing is outstanding and nothing moves; returns the seconds."""
        began = time.monotonic()
        client = await nats.connect(self.nats_url, max_reconnect_attempts=-1)
        db = await asyncpg.connect(self.database_url)
        last: dict[str, Any] = {"signature": None, "stable": 0, "busy": None}
        try:

            async def quiet() -> bool:
                try:
                    busy = await self._busy(client, db, total)
                    signature = await self._signature(client)
                except nats.errors.TimeoutError:
                    last["signature"], last["stable"] = None, 0
                    return False  # the broker is busy: ask again at the next probe
                if busy != last["busy"]:
                    print(f"{self.namespace} +{time.monotonic() - began:.0f}s: {busy or 'idle'}")
                last["busy"] = busy
                if busy is not None or signature != last["signature"]:
                    last["signature"], last["stable"] = signature, 0
                    return False
                last["stable"] += 1
                return last["stable"] >= 4  # unchanged over four probes a second apart

            try:
                await poll_until(quiet, timeout=timeout, interval=1.0, message="pipeline settled")
            except TimeoutError as exc:
                raise AssertionError(f"{exc}; still busy: {last['busy']}") from exc
            return time.monotonic() - began
        finally:
            await db.close()
            await client.close()

    async def outcome(self) -> Outcome:
        fields = {f.id: f.name for f in self.ghl.custom_fields(GHL_LOCATION)}
        contacts: dict[str, list[dict[str, Any]]] = {}
        for wire in self.ghl.contacts(GHL_LOCATION):
            custom = {
                fields.get(item["id"], item["id"]): item["value"] for item in wire["customFields"]
            }
            content = {
                k: v
                for k, v in wire.items()
                if k not in {"id", "dateAdded", "dateUpdated", "customFields", "locationId"}
            }
            content["tags"] = sorted(content.get("tags", []))
            content["customFields"] = dict(sorted(custom.items()))
            contacts.setdefault(str(wire.get("email", "")).lower(), []).append(content)
        lookups: Counter[tuple[str, str]] = Counter()
        for task in self.snov.tasks():
            if task.done:
                # Which company's spelling of a shared normalised name is sent depends on which
                # arrived first; the lookup (and its charge) is the normalised name.
                lookups.update(
                    (task.task_type.value, normalise_company_name(name)) for name in task.names
                )
                lookups.update(
                    (task.task_type.value, f"{r.first_name} {r.last_name} @{r.domain}".lower())
                    for r in task.rows
                )
        client = await nats.connect(self.nats_url)
        db = await asyncpg.connect(self.database_url)
        try:
            js = client.jetstream()
            topology = Topology(self.namespace)
            published = {
                spec.name: (await js.stream_info(topology.stream_name(spec.name))).state.last_seq
                for spec in topology.streams
            }
            processed = 0
            for name in SERVICES:
                schema = f"{self.namespace}_{name.replace('-', '_')}"
                if await db.fetchval("SELECT to_regclass($1)", f'"{schema}".processed_events'):
                    processed += await db.fetchval(
                        f'SELECT count(*) FROM "{schema}".processed_events'  # noqa: S608
                    )
            crm = f'"{self.namespace}_crm_sync".contacts'
            leads = {
                row["contact_key"]: row["status"]
                for row in await db.fetch(f"SELECT contact_key, status FROM {crm}")  # noqa: S608
            }
            shared_ids = {
                row["crm_contact_id"]
                for row in await db.fetch(
                    f"SELECT crm_contact_id FROM {crm}"  # noqa: S608 - test namespace
                    " GROUP BY crm_contact_id HAVING count(*) > 1"
                )
            }
        finally:
            await db.close()
            await client.close()
        shared = {
            str(wire.get("email", "")).lower()
            for wire in self.ghl.contacts(GHL_LOCATION)
            if wire["id"] in shared_ids
        }
        upserts = sum(1 for r in self.ghl.request_log.records() if r.path == "/contacts/upsert")
        ch_calls = await self.ch_calls()
        densest = densest_window([at for at, _ in ch_calls], CH_WINDOW)
        return Outcome(
            leads=leads,
            contacts=contacts,
            shared=shared,
            upserts=upserts,
            lookups=lookups,
            credits=self.snov.credits_spent(),
            snov_tasks=len(self.snov.tasks()),
            snov_429=self.snov.engine.rate_limited,
            ch_calls=len(ch_calls),
            ch_429=sum(1 for _, status in ch_calls if status == 429),
            ch_max_in_window=densest[0],
            ch_densest_at=round(densest[1] - self.feed_started, 2),
            events_published=published,
            events_processed=processed,
            dead_letters=published.get("DEADLETTER", 0),
            self_crashes=self.self_crashes(),
            cpu={name: round(cpu_seconds(p.pid), 1) for name, p in self.processes.items()},
        )


@contextlib.asynccontextmanager
async def running_pipeline(
    namespace: str, nats_url: str, database_url: str, log_dir: Path
) -> AsyncIterator[Pipeline]:
    pipeline = Pipeline(namespace, nats_url, database_url, log_dir)
    try:
        await pipeline.start()
        yield pipeline
    finally:
        await pipeline.stop()


# -- figures ------------------------------------------------------------------------------------


def write_figures(path: Path, section: str, figures: dict[str, Any]) -> None:
    """Merge one test's figures into the report file (rendered by ``resilience_report.py``)."""
    report: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    report[section] = figures
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, sort_keys=True, default=str) + "\n")


def summarise(outcome: Outcome, seconds: float) -> dict[str, Any]:
    """One run's figures."""
    return {
        "leads": len(outcome.leads),
        "leads_synced": sum(1 for status in outcome.leads.values() if status == "synced"),
        "contacts": sum(len(found) for found in outcome.contacts.values()),
        "duplicates": sum(len(found) - 1 for found in outcome.contacts.values()),
        "shared_emails": len(outcome.shared),
        "without_kind_tag": sum(
            1
            for found in outcome.contacts.values()
            for content in found
            if not RACY_TAGS & set(content["tags"])
        ),
        "upserts": outcome.upserts,
        "credits": outcome.credits,
        "searched_twice": sum(1 for n in outcome.lookups.values() if n > 1),
        "lookups": len(outcome.lookups),
        "snov_tasks": outcome.snov_tasks,
        "snov_429": outcome.snov_429,
        "ch_calls": outcome.ch_calls,
        "ch_429": outcome.ch_429,
        "ch_max_in_window": outcome.ch_max_in_window,
        "ch_densest_at": outcome.ch_densest_at,
        "events_published": sum(outcome.events_published.values()),
        "events_by_stream": outcome.events_published,
        "events_processed": outcome.events_processed,
        "dead_letters": outcome.dead_letters,
        "self_crashes": outcome.self_crashes,
        "cpu_seconds": outcome.cpu,
        "seconds": round(seconds, 1),
    }


def compare(reference: Outcome, faulted: Outcome) -> dict[str, list[Any]]:
    """How the faulted run's final state differs from the reference's."""
    expected, found = set(reference.contacts), set(faulted.contacts)
    both = sorted(expected & found)

    def unequal(key: str, *, strict: bool) -> bool:
        shared = key in reference.shared or key in faulted.shared
        ours, theirs = reference.contacts[key][0], faulted.contacts[key][0]
        if strict:
            return ours != theirs
        return stable(ours, shared=shared) != stable(theirs, shared=shared)

    return {
        "leads_lost": sorted(set(reference.leads) - set(faulted.leads)),
        "leads_unexpected": sorted(set(faulted.leads) - set(reference.leads)),
        "lost": sorted(expected - found),
        "unexpected": sorted(found - expected),
        "differing": [key for key in both if unequal(key, strict=False)],
        "racy": [key for key in both if unequal(key, strict=True)],
        "lookups_differing": sorted(set(reference.lookups.items()) ^ set(faulted.lookups.items())),
    }


def difference(expected: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
    """The properties of a contact that differ: ``name -> (expected, found)``."""
    return {
        key: (expected.get(key), found.get(key))
        for key in sorted(set(expected) | set(found))
        if expected.get(key) != found.get(key)
    }


def fault_figures(records: list[KillRecord]) -> dict[str, Any]:
    """What the killer did, per service and in order."""
    by_service: dict[str, dict[str, Any]] = {}
    for name in SERVICES:
        own = [r for r in records if r.target == name]
        ready = [r.ready_after for r in own if r.ready_after is not None]
        by_service[name] = {
            "kills": len(own),
            "while_ready": sum(1 for r in own if r.was_ready),
            "ready_max": round(max(ready), 2) if ready else None,
        }
    return {
        "total": len(records),
        "by_service": by_service,
        "timeline": [
            {
                "at": round(r.at, 2),
                "service": r.target,
                "was_ready": r.was_ready,
                "down": round(r.restarted_at - r.at, 2),
                "ready_after": None if r.ready_after is None else round(r.ready_after, 2),
            }
            for r in records
        ],
    }


# -- the tests ----------------------------------------------------------------------------------


@pytest.mark.timeout(1200)
async def test_kill_minus_nine_anywhere_leaves_the_state_of_an_unfaulted_run(
    own_nats: EmbeddedNats, own_postgres: EmbeddedPostgres, infra_dir: Path, report_path: Path
) -> None:
    began = time.monotonic()
    print(f"resilience: {COMPANIES} companies, {KILLS} kills, kill seed {SEED}")
    numbers = CompaniesHouseSimulator(
        SimulatorConfig(seed=POPULATION_SEED, size=POPULATION)
    ).population.strike_off_candidates(COMPANIES)
    assert len(numbers) == COMPANIES

    def infrastructure_cpu() -> dict[str, float]:
        postmaster = next(
            (
                int(cmdline.parent.name)
                for cmdline in Path("/proc").glob("[0-9]*/cmdline")
                if str(own_postgres.pgdata).encode() in _read(cmdline)
            ),
            None,
        )
        return {
            "test process (simulators)": cpu_seconds(os.getpid()),
            "nats-server": cpu_seconds(own_nats.pid),
            "postgres": cpu_seconds(postmaster, with_children=True),
        }

    async def one_run(namespace: str, killer_of: Any) -> tuple[Outcome, float, float]:
        """The run's final state, its wall time, and its time from the first event to settled."""
        started = time.monotonic()
        async with running_pipeline(
            namespace, own_nats.url, own_postgres.url, infra_dir / namespace
        ) as pipeline:
            fed = time.monotonic()
            feed = asyncio.create_task(pipeline.feed(numbers))
            if killer_of is not None:
                await killer_of(pipeline).run()
            await feed
            await pipeline.settle(COMPANIES, timeout=SETTLE_SECONDS)
            settled = time.monotonic()
            return await pipeline.outcome(), settled - started, settled - fed

    killers: list[Killer] = []

    def killer_of(pipeline: Pipeline) -> Killer:
        span = COMPANIES / FEED_RATE + 10
        schedule = kill_schedule(random.Random(SEED), SERVICES, KILLS, span)
        killers.append(Killer(pipeline.processes, schedule))
        return killers[-1]

    # Both runs at once, in their own namespaces with their own simulators: the unfaulted run
    # uses the CPU the other leaves idle while it waits out redeliveries after crashes.
    cpu_before = infrastructure_cpu()
    (
        (reference, reference_seconds, _),
        (faulted, faulted_seconds, processing),
    ) = await asyncio.gather(one_run("refrun", None), one_run("crashrun", killer_of))
    cpu_after = infrastructure_cpu()
    (killer,) = killers

    diff = compare(reference, faulted)
    examples: dict[str, list[Any]] = {
        name: [
            [key, difference(reference.contacts[key][0], faulted.contacts[key][0])]
            if name in {"differing", "racy"}
            else key
            for key in keys[:3]
        ]
        for name, keys in diff.items()
    }
    figures = {
        "finished_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{os.cpu_count()} CPU(s)",
        "companies": COMPANIES,
        "seed": SEED,
        "ch_limit": CH_LIMIT,
        "ch_window": CH_WINDOW,
        "feed_rate": FEED_RATE,
        "faults": fault_figures(killer.records),
        "reference": summarise(reference, reference_seconds),
        "faulted": summarise(faulted, faulted_seconds),
        **{name: len(keys) for name, keys in diff.items()},
        "examples": examples,
        "settle_after_last_kill": round(processing - max(r.at for r in killer.records), 1),
        "infrastructure_cpu_seconds": {
            name: round(cpu_after[name] - cpu_before[name], 1) for name in cpu_after
        },
        "wall_seconds": round(time.monotonic() - began, 1),
    }
    write_figures(report_path, "crash_anywhere", figures)
    print(json.dumps(figures, indent=1, default=str))

    assert reference.contacts, "the unfaulted run made no contacts"
    assert set(killer.kills_by_target()) == set(SERVICES), "every service is killed at least once"
    assert not diff["leads_lost"], f"leads lost by crm-sync: {examples['leads_lost']}"
    assert not diff["leads_unexpected"], f"leads not in the reference: {diff['leads_unexpected']}"
    assert set(faulted.leads.values()) == {"synced"}, "a lead is not synced"
    assert not diff["lost"], f"CRM contacts lost: {diff['lost'][:10]}"
    assert not diff["unexpected"], f"CRM contacts not in the reference: {diff['unexpected'][:10]}"
    assert figures["faulted"]["duplicates"] == 0, "a CRM contact was duplicated"
    assert not diff["differing"], f"contacts differ: {examples['differing']}"
    assert faulted.credits == reference.credits, "Snov.io credits differ from the unfaulted run"
    assert faulted.lookups == reference.lookups, f"searches differ: {diff['lookups_differing']}"
    assert faulted.ch_429 == 0
    assert reference.ch_429 == 0
    assert faulted.ch_max_in_window <= CH_LIMIT
    assert faulted.dead_letters == reference.dead_letters == 0


async def recovery_times(pipeline: Pipeline, back: float) -> dict[str, float]:
    """Seconds from ``back`` until each service answers ``/readyz`` again (bounded)."""
    recovered: dict[str, float] = {}

    async def all_back() -> bool:
        for name, process in pipeline.processes.items():
            if name not in recovered and await process.ready():
                recovered[name] = round(time.monotonic() - back, 2)
        return len(recovered) == len(pipeline.processes)

    with contextlib.suppress(TimeoutError):
        await poll_until(all_back, timeout=2 * RECOVERY_SECONDS, interval=0.2)
    return {name: recovered.get(name, math.inf) for name in pipeline.processes}


async def none_ready(pipeline: Pipeline) -> bool:
    answers = await asyncio.gather(*(p.ready() for p in pipeline.processes.values()))
    return not any(answers)


@pytest.mark.timeout(600)
async def test_every_service_recovers_within_30_s_of_a_nats_restart_and_a_postgres_restart(
    own_nats: EmbeddedNats, own_postgres: EmbeddedPostgres, infra_dir: Path, report_path: Path
) -> None:
    began = time.monotonic()
    numbers = CompaniesHouseSimulator(
        SimulatorConfig(seed=POPULATION_SEED, size=POPULATION)
    ).population.strike_off_candidates(2 * DEPENDENCY_COMPANIES)
    before, after = numbers[:DEPENDENCY_COMPANIES], numbers[DEPENDENCY_COMPANIES:]
    async with running_pipeline(
        "deprun", own_nats.url, own_postgres.url, infra_dir / "deprun"
    ) as pipeline:
        await pipeline.feed(before)
        await pipeline.settle(len(before), timeout=180)
        leads_before = len((await pipeline.outcome()).leads)

        # Companies enter strike-off while each dependency is away: nothing may be lost.
        during_nats, during_postgres = after[: len(after) // 2], after[len(after) // 2 :]
        own_nats.stop()
        nats_down = time.monotonic()
        await poll_until(lambda: none_ready(pipeline), timeout=30, message="not ready without NATS")
        await pipeline.feed(during_nats)
        await asyncio.sleep(OUTAGE_SECONDS)  # the fault itself: NATS stays away this long
        await asyncio.to_thread(own_nats.start)
        nats_back = time.monotonic()
        nats_recovery = await recovery_times(pipeline, nats_back)

        await asyncio.to_thread(own_postgres.stop)
        pg_down = time.monotonic()
        await poll_until(
            lambda: none_ready(pipeline), timeout=30, message="not ready without Postgres"
        )
        await pipeline.feed(during_postgres)
        await asyncio.sleep(OUTAGE_SECONDS)  # the fault itself: Postgres stays away this long
        await asyncio.to_thread(own_postgres.start)
        pg_back = time.monotonic()
        pg_recovery = await recovery_times(pipeline, pg_back)

        await pipeline.settle(len(numbers), timeout=180)
        outcome = await pipeline.outcome()

    figures = {
        "finished_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "recovery_limit": RECOVERY_SECONDS,
        "nats": {"down_seconds": round(nats_back - nats_down, 1), "recovery": nats_recovery},
        "postgres": {"down_seconds": round(pg_back - pg_down, 1), "recovery": pg_recovery},
        "companies_after": len(after),
        "leads_after": len(outcome.leads) - leads_before,
        "self_crashes": outcome.self_crashes,
        "wall_seconds": round(time.monotonic() - began, 1),
    }
    write_figures(report_path, "dependency_restarts", figures)
    print(json.dumps(figures, indent=1))

    slow = {
        dependency: {name: s for name, s in recovery.items() if s > RECOVERY_SECONDS}
        for dependency, recovery in (("nats", nats_recovery), ("postgres", pg_recovery))
    }
    assert slow == {"nats": {}, "postgres": {}}, f"not ready within {RECOVERY_SECONDS} s: {slow}"
    assert len(outcome.leads) > leads_before, "no lead went through after the restarts"
    assert set(outcome.leads.values()) == {"synced"}
