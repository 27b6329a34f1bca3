"""P2: ch-gateway under 10x oversubscribed demand on an accelerated Companies House window.

Three processes, as in production: this driver (publishes requests, collects responses), the
gateway (``python -m ch_gateway``) and the Companies House simulator, on embedded NATS and
Postgres. The simulator runs the production quota, 600 calls per window, with the window
accelerated 30x (10 s instead of 5 minutes), and the gateway keeps the production guard of 10
calls for latency and skew. A 50,000-request low-priority backlog plus officer lists at normal
priority keep demand far above the quota (well over 10x) for every measured window, while
high-priority requests arrive at a steady trickle.

Measured, one Result per SPEC §6 P2 target:
- fraction of the limit used: successful upstream calls per full simulator window / L;
- upstream 429s (the simulator's request log);
- high-priority p99 wait (publish → response) with the 50k low backlog;
- gateway overhead per call p50, from the gateway's ``ch_gateway_overhead_seconds`` histogram:
  the gateway's own wall time on each upstream call's path, excluding the upstream HTTP round
  trip and any wait for quota — from the moment the call is granted (limiter, breaker, a
  persisted call slot and a free connection all allow it) until the request is handed to the
  HTTP client, plus from the upstream reply until the responses are built and handed to the
  broker (or the next page is queued). Writing call slots to Postgres happens ahead of use and
  the responses' JetStream acknowledgements (then the requests' acks) in the background, so
  neither is on that path; both are printed for reference (``ch_gateway_answer_seconds`` p50,
  and the process's CPU seconds per call, which counts everything the gateway does);
- upstream calls per officer list of <= 100 officers.

Baseline, side by side in the same run: a token bucket with capacity L refilled at L/W (what
``aiolimiter.AsyncLimiter(L, W)`` does) calling the same simulator with another key — it gets
429s, which is why the gateway uses a sliding-window log.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import nats
from nats.aio.msg import Msg

from bench.results import Result
from leadpipe_bus import Publisher, Topology, apply_topology
from leadpipe_contracts import Decoder, utcnow
from leadpipe_contracts.gateway import (
    GatewayRequest,
    GatewayResponse,
    Priority,
    RequestKind,
    ResponseStatus,
)
from leadpipe_simulators.companies_house import Population
from leadpipe_testing.servers import nats_server, postgres_server

LIMIT = 600
WINDOW = 10.0
GUARD = 10
WINDOWS = 3
LOW_BACKLOG = 50_000
OFFICER_LISTS = 200
HIGH_PER_WINDOW = 20
SEED, SIZE = 11, 60_000
GATEWAY_KEY, BASELINE_KEY = "bench-gateway-key", "bench-baseline-key"
NAMESPACE = "bench"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


@contextlib.contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as sink:
        process = subprocess.Popen(args, env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _wait_http(url: str, timeout: float = 60.0, *, want: str | None = None) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with session.get(url) as response:
                    text = await response.text()
                    if response.status == 200 and (want is None or want in text):
                        return
            await asyncio.sleep(0.2)
    raise TimeoutError(f"{url} not ready")


async def _token_bucket_baseline(url: str) -> tuple[int, int]:
    """Calls and 429s of a token bucket (capacity L, refill L/W) over two windows."""
    tokens, rate, last = float(LIMIT), LIMIT / WINDOW, time.monotonic()
    numbers = Population(SEED, SIZE).iter_numbers()
    calls = limited = 0
    end = time.monotonic() + 2 * WINDOW
    async with aiohttp.ClientSession(headers=_auth(BASELINE_KEY)) as session:
        while time.monotonic() < end:
            now = time.monotonic()
            tokens = min(float(LIMIT), tokens + (now - last) * rate)
            last = now
            if tokens < 1:
                await asyncio.sleep((1 - tokens) / rate)
                continue
            tokens -= 1
            async with session.get(f"{url}/company/{next(numbers)}") as response:
                await response.read()
                calls += 1
                limited += response.status == 429
    return calls, limited


async def _direct_latency(url: str, samples: int = 100) -> float:
    """Median latency of a direct call to the simulator (what the gateway adds to)."""
    numbers = Population(SEED, SIZE).iter_numbers()
    seen: list[float] = []
    async with aiohttp.ClientSession(headers=_auth(BASELINE_KEY)) as session:
        for _ in range(samples):
            started = time.perf_counter()
            async with session.get(f"{url}/company/{next(numbers)}") as response:
                await response.read()
            seen.append(time.perf_counter() - started)
    seen.sort()
    return seen[len(seen) // 2]


def _histogram_quantile(metrics: str, name: str, quantile: float) -> float:
    """Prometheus ``histogram_quantile`` over one unlabelled histogram in exposition text."""
    buckets: list[tuple[float, float]] = []
    for line in metrics.splitlines():
        if line.startswith(f"{name}_bucket{{"):
            text = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((math.inf if text == "+Inf" else float(text), float(line.split()[-1])))
    buckets.sort()
    total = buckets[-1][1] if buckets else 0.0
    if not total:
        return math.nan
    rank, lower, below = quantile * total, 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if math.isinf(bound):
                return lower
            return lower + (bound - lower) * (rank - below) / max(count - below, 1e-9)
        lower, below = bound, count
    return lower


def _sample(metrics: str, name: str) -> float:
    """The sum of a metric's samples in exposition text (0 when absent)."""
    return sum(
        float(line.split()[-1])
        for line in metrics.splitlines()
        if line.startswith(name) and not line.startswith("#")
    )


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] if ordered else math.nan


async def _measure(nats_url: str, database_url: str, work: Path) -> list[Result]:
    population = Population(SEED, SIZE)
    numbers = list(population.iter_numbers())
    sim_port, ops_port = _free_port(), _free_port()
    sim_url = f"http://127.0.0.1:{sim_port}"
    sim_args = [
        sys.executable, "-m", "leadpipe_simulators", "companies-house", "serve",
        "--rest-port", str(sim_port), "--seed", str(SEED), "--size", str(SIZE),
        "--rate-limit", str(LIMIT), "--rate-window", str(WINDOW),
        "--rest-key", GATEWAY_KEY, "--rest-key", BASELINE_KEY,
    ]  # fmt: skip
    env = dict(os.environ)
    with _process(sim_args, env, work / "simulator.log"):
        await _wait_http(f"{sim_url}/_sim/stats")
        direct = await _direct_latency(sim_url)
        async with aiohttp.ClientSession() as session:
            await session.post(f"{sim_url}/_sim/reset")
        baseline_calls, baseline_429 = await _token_bucket_baseline(sim_url)
        print(
            f"baseline token bucket (capacity {LIMIT}, refill {LIMIT}/{WINDOW:g}s): "
            f"{baseline_calls} calls in 2 windows, {baseline_429} answered 429"
        )
        async with aiohttp.ClientSession() as session:
            await session.post(f"{sim_url}/_sim/reset")

        client = await nats.connect(nats_url)
        js = client.jetstream()
        topology = Topology(NAMESPACE)
        await apply_topology(js, topology, consumers=topology.consumers_of("ch-gateway"))
        publisher = Publisher(js, topology, "bench")
        decoder: Decoder[GatewayResponse] = Decoder(GatewayResponse)
        arrived: dict[str, float] = {}
        answers: dict[str, GatewayResponse] = {}
        high_sent: dict[str, float] = {}
        highs_done = asyncio.Event()
        loop = asyncio.get_running_loop()

        async def on_response(message: Msg) -> None:
            response = decoder.decode(message.data)
            arrived.setdefault(response.request_id, loop.time())
            answers.setdefault(response.request_id, response)
            if sending_done.is_set() and all(i in arrived for i in high_sent):
                highs_done.set()

        sending_done = asyncio.Event()

        await client.subscribe(topology.subject("chgw.responses.*"), cb=on_response)

        async def send(kind: RequestKind, priority: Priority, number: str) -> str:
            request_id = uuid.uuid4().hex
            await publisher.publish(
                GatewayRequest(
                    event_id=f"bench:{request_id}", occurred_at=utcnow(), request_id=request_id,
                    kind=kind, priority=priority, requester="bench", company_number=number,
                )
            )  # fmt: skip
            return request_id

        started = time.monotonic()
        lows = numbers[:LOW_BACKLOG]
        for chunk in range(0, len(lows), 2_500):
            batch = lows[chunk : chunk + 2_500]
            await asyncio.gather(
                *(send(RequestKind.COMPANY_PROFILE, Priority.LOW, n) for n in batch)
            )
        print(f"queued {len(lows):,} low-priority requests in {time.monotonic() - started:.1f}s")
        small = [n for n in numbers[LOW_BACKLOG:] if len(population.officers(n) or []) <= 100]
        officer_ids = [
            await send(RequestKind.OFFICER_LIST, Priority.NORMAL, n) for n in small[:OFFICER_LISTS]
        ]
        highs = iter(numbers[LOW_BACKLOG + OFFICER_LISTS :])

        gateway_env = dict(os.environ) | {
            "LEADPIPE_NATS_URL": nats_url,
            "LEADPIPE_DATABASE_URL": database_url,
            "LEADPIPE_NAMESPACE": NAMESPACE,
            "LEADPIPE_OPS_PORT": str(ops_port),
            "LEADPIPE_CH_API_URL": sim_url,
            "LEADPIPE_CH_API_KEY": GATEWAY_KEY,
            "LEADPIPE_CH_RATE_LIMIT": str(LIMIT),
            "LEADPIPE_CH_RATE_WINDOW_SECONDS": str(WINDOW),
            "LEADPIPE_CH_RATE_GUARD": str(GUARD),
            "LEADPIPE_RATE_LIMIT_MARGIN_SECONDS": "0.1",
            "LEADPIPE_STATUS_INTERVAL_SECONDS": "1",
            "LEADPIPE_LOG_LEVEL": "WARNING",
        }
        with _process([sys.executable, "-m", "ch_gateway"], gateway_env, work / "gateway.log"):
            await _wait_http(f"http://127.0.0.1:{ops_port}/readyz", want='"leader"')
            metrics_url = f"http://127.0.0.1:{ops_port}/metrics"
            async with aiohttp.ClientSession() as session, session.get(metrics_url) as response:
                cpu_before = _sample(await response.text(), "process_cpu_seconds_total")
            interval = WINDOW / HIGH_PER_WINDOW
            end = loop.time() + WINDOWS * WINDOW
            while loop.time() < end:
                tick = loop.time()
                high_sent[await send(RequestKind.COMPANY_PROFILE, Priority.HIGH, next(highs))] = (
                    tick
                )
                await asyncio.sleep(max(0.0, interval - (loop.time() - tick)))
            sending_done.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(highs_done.wait(), 2 * WINDOW)
            async with aiohttp.ClientSession() as session:
                async with session.get(metrics_url) as response:
                    metrics = await response.text()
                async with session.get(f"{sim_url}/_sim/requests") as response:
                    records = await response.json()
        await client.close()

    accepted = sorted(r["time"] for r in records if r["key"] == GATEWAY_KEY and r["status"] != 429)
    limited = sum(1 for r in records if r["status"] == 429)
    first = min(r["time"] for r in records)
    full_windows = [
        sum(1 for t in accepted if first + k * WINDOW <= t < first + (k + 1) * WINDOW)
        for k in range(WINDOWS)
    ]
    used = sum(full_windows) / (WINDOWS * LIMIT)
    waits = [arrived[i] - sent for i, sent in high_sent.items() if i in arrived]
    unanswered = len(high_sent) - len(waits)
    p99 = _quantile(waits, 0.99) if not unanswered else math.inf
    lists = [
        answers[i] for i in officer_ids if i in answers and answers[i].status is ResponseStatus.OK
    ]
    per_list = sum(r.calls for r in lists) / len(lists) if lists else math.inf
    overhead = _histogram_quantile(metrics, "ch_gateway_overhead_seconds", 0.5)
    upstream = _histogram_quantile(metrics, "ch_gateway_upstream_seconds", 0.5)
    answer = _histogram_quantile(metrics, "ch_gateway_answer_seconds", 0.5)
    calls = _sample(metrics, "ch_gateway_upstream_responses_total")
    cpu = (_sample(metrics, "process_cpu_seconds_total") - cpu_before) / max(calls, 1)
    demand = LOW_BACKLOG + OFFICER_LISTS + len(high_sent)
    print(
        f"gateway: limit {LIMIT}/{WINDOW:g}s, budget {LIMIT - GUARD}; demand {demand:,} requests "
        f"= {demand / (WINDOWS * LIMIT):.0f}x the quota of {WINDOWS} windows"
    )
    print(f"  calls per simulator window: {full_windows} ({used:.1%} of the limit)")
    print(f"  upstream 429s: {limited} (token-bucket baseline: {baseline_429})")
    print(
        f"  high priority: {len(waits)} answered, p50 {_quantile(waits, 0.5) * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms (window {WINDOW * 1000:.0f} ms), unanswered {unanswered}"
    )
    print(
        f"  overhead p50 {overhead * 1000:.2f} ms per call; upstream call p50 "
        f"{upstream * 1000:.2f} ms through the gateway, {direct * 1000:.2f} ms direct; "
        f"response publish + ack p50 {answer * 1000:.2f} ms (background); "
        f"gateway CPU {cpu * 1000:.2f} ms per call"
    )
    print(f"  officer lists (<= 100 officers): {len(lists)} answered, {per_list:.3f} calls each")
    print(
        "  machine load average (1, 5, 15 min): " + ", ".join(f"{v:.1f}" for v in os.getloadavg())
    )
    return [
        Result("P2 fraction of the limit used", used * 100, 97.0, True, "%"),
        Result("P2 upstream 429s", float(limited), 0.0, False),
        Result("P2 high-priority p99 wait (in windows)", p99 / WINDOW, 1.0, False),
        Result("P2 gateway overhead per call p50", overhead * 1000, 2.0, False, " ms"),
        Result("P2 calls per officer list (<= 100 officers)", per_list, 1.01, False),
    ]


async def run() -> list[Result]:
    """Run the P2 benchmark (about a minute)."""
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        work = Path(tmp)
        with nats_server(work / "nats") as nats_url, postgres_server(work / "pg") as database_url:
            try:
                return await _measure(nats_url, database_url, work)
            except BaseException:
                for log in ("gateway.log", "simulator.log"):
                    path = work / log
                    if path.exists():
                        print(f"--- {log} (tail)\n" + path.read_text()[-3_000:])
                raise
