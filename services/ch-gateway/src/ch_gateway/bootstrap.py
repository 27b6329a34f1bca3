"""Composition root of ch-gateway: wires its adapters and the engine to the shared runtime.

Tasks: the lease loop (standby ↔ leader), the priority feeder, the dispatch loop, heartbeats
for held requests and the periodic ``GatewayStatus``. The request consumers are fed by the
gateway's own feeder rather than the shared runner (see ``adapters.feeder``), so ``/readyz``
gets its own checks: the consumers are bound, this instance is leader or standby, and the
upstream is usable (degraded while the breaker is open or the key is rejected).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from ch_gateway.adapters.feeder import PRIORITIES, PriorityFeeder
from ch_gateway.adapters.lease import LeaseLost, PostgresLease
from ch_gateway.adapters.upstream import CompaniesHouseClient
from ch_gateway.breaker import BreakerState, OpenReason
from ch_gateway.gateway import UNAUTHORISED_REASON, Gateway
from ch_gateway.metrics import QUEUE_DEPTH
from ch_gateway.settings import Settings
from leadpipe_bus import DeadLetterWriter
from leadpipe_contracts.gateway import GatewayResponse, Priority
from leadpipe_runtime import (
    CheckResult,
    Components,
    ServiceContext,
    ServiceDefinition,
    Status,
)

log = logging.getLogger(__name__)
NAME = "ch-gateway"


async def build(context: ServiceContext[Settings]) -> Components:
    """Assemble the gateway's tasks and checks."""
    settings = context.settings
    upstream = CompaniesHouseClient(
        settings.ch_api_url,
        settings.ch_api_key,
        timeout=settings.call_timeout_seconds,
        connections=settings.max_in_flight,
    )
    lease = PostgresLease(context.db.url, context.db.schema)

    async def publish(response: GatewayResponse) -> None:
        await context.publisher.publish(response)

    gateway = Gateway(settings, upstream=upstream, call_log=lease, publish=publish)
    specs = {p: context.topology.consumer(NAME, p.value) for p in PRIORITIES}
    feeder = PriorityFeeder(
        context.js,
        context.topology,
        specs,
        admit=gateway.admit,
        held=gateway.held,
        leader=lambda: gateway.leader,
        limits={
            Priority.HIGH: settings.queue_limit_high,
            Priority.NORMAL: settings.queue_limit_normal,
            Priority.LOW: settings.queue_limit_low,
        },
        dead_letters=DeadLetterWriter(context.publisher),
        poll_seconds=settings.fetch_poll_seconds,
    )
    gateway.notify_with(feeder.poke)
    await feeder.bind()

    async def lose_lease() -> None:
        await lease.release()
        await gateway.step_down()

    gateway.on_lease_lost(lose_lease)

    async def lease_loop() -> None:
        while True:
            if not gateway.leader:
                if await lease.try_acquire():
                    try:
                        await gateway.become_leader()
                    except LeaseLost:
                        await lose_lease()
            elif not await lease.confirm():
                await gateway.step_down()
            await asyncio.sleep(settings.lease_poll_seconds)

    async def heartbeat_loop() -> None:
        interval = max(min(spec.ack_wait for spec in specs.values()) / 3, 0.5)
        while True:
            await asyncio.sleep(interval)
            await gateway.heartbeat()

    async def status_loop() -> None:
        while True:
            backlog = await feeder.backlog()
            depth: dict[str, int] = {}
            for priority in PRIORITIES:
                QUEUE_DEPTH.labels(priority.value, "backlog").set(backlog[priority])
                QUEUE_DEPTH.labels(priority.value, "held").set(gateway.held(priority))
                depth[priority.value] = backlog[priority] + gateway.held(priority)
            status = gateway.status(depth)
            if gateway.leader:
                try:
                    await context.publisher.publish(status)
                    await lease.prune(time.time() - 2 * settings.ch_rate_window_seconds)
                except LeaseLost:
                    pass
                except Exception as exc:
                    log.warning("gateway status not published: %r", exc)
            await asyncio.sleep(settings.status_interval_seconds)

    async def consumers_check() -> CheckResult:
        return CheckResult(Status.OK) if feeder.bound else CheckResult(Status.FAIL, "not bound")

    async def lease_check() -> CheckResult:
        return CheckResult(Status.OK, "leader" if gateway.leader else "standby")

    async def upstream_check() -> CheckResult:
        state = gateway.breaker_state()
        if state is BreakerState.CLOSED:
            return CheckResult(Status.OK)
        reason = gateway.breaker_reason()
        if reason is OpenReason.UNAUTHORISED:
            return CheckResult(Status.DEGRADED, UNAUTHORISED_REASON)
        return CheckResult(Status.DEGRADED, f"breaker {state.value} ({reason or 'probing'})")

    context.health.add_readiness("gateway-consumers", consumers_check)
    context.health.add_readiness("lease", lease_check)
    context.health.add_readiness("upstream", upstream_check)

    async def stop() -> None:
        await gateway.shutdown(settings.shutdown_grace_seconds)
        with contextlib.suppress(Exception):
            await lease.release()
        await upstream.close()

    return Components(
        tasks={
            "ch-gateway:lease": lease_loop,
            "ch-gateway:feeder": feeder.run,
            "ch-gateway:dispatch": gateway.run,
            "ch-gateway:heartbeat": heartbeat_loop,
            "ch-gateway:status": status_loop,
        },
        on_stop=[stop],
    )


definition = ServiceDefinition(
    name=NAME,
    settings_type=Settings,
    build=build,
    migrations="ch_gateway.migrations",
)
