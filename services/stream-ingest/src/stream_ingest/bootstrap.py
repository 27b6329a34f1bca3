"""Composition root of stream-ingest: wires its adapters and handlers to the shared runtime."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import aiohttp
import asyncpg

from leadpipe_bus import PublishError, Subscription
from leadpipe_contracts.companies import CompanyRecheckRequested
from leadpipe_contracts.gateway import GatewayResponse
from leadpipe_runtime import (
    BusinessHours,
    CheckResult,
    Components,
    ServiceContext,
    ServiceDefinition,
    Status,
    nothing_held_erasure,
)
from stream_ingest.adapters.stream_client import Backoff, StreamClient
from stream_ingest.handlers import ProfileChecks
from stream_ingest.hours import ScheduledStream
from stream_ingest.ingest import StateLock, StreamProcessor
from stream_ingest.settings import Settings
from stream_ingest.streams import StreamFollower

log = logging.getLogger(__name__)
SERVICE = "stream-ingest"


async def build(context: ServiceContext[Settings]) -> Components:
    """Assemble the service's consumers and background tasks."""
    settings = context.settings
    # One writer of company states at a time: both streams and the gateway answers.
    lock = StateLock()
    checks = ProfileChecks(
        context.db,
        context.outbox,
        recheck_interval=dt.timedelta(hours=settings.recheck_interval_hours),
        lock=lock,
    )
    components = Components(
        subscriptions=[
            Subscription(
                context.topology.consumer(SERVICE, "profiles"),
                GatewayResponse,
                checks.handle_profile_response,
            ),
            Subscription(
                context.topology.consumer(SERVICE, "rechecks"),
                CompanyRecheckRequested,
                checks.handle_recheck,
            ),
            # Company facts only, no people: erasure requests are confirmed with nothing erased.
            nothing_held_erasure(context),
        ]
    )

    async def due_checks() -> None:
        interval = max(0.05, min(5.0, settings.signal_grace_seconds / 4))
        while True:
            try:
                await checks.request_due_checks()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, PublishError) as exc:
                log.warning("profile checks postponed: %r", exc)
            await asyncio.sleep(interval)

    components.tasks["profile-checks"] = due_checks

    key = settings.ch_stream_key
    if key is None or not key.reveal():

        async def disabled() -> CheckResult:
            return CheckResult(
                Status.OK,
                "streams disabled: LEADPIPE_CH_STREAM_KEY is not set (bulk imports and gateway"
                " responses still work)",
            )

        context.health.add_readiness("streams", disabled)
        log.warning("LEADPIPE_CH_STREAM_KEY is not set: not following the streams")
        return components

    hours = BusinessHours.parse(settings.stream_hours)
    session = aiohttp.ClientSession()
    components.on_stop.append(session.close)
    for name in settings.streams:
        client = StreamClient(
            session,
            settings.ch_stream_url,
            key.reveal(),
            name,
            idle_timeout=settings.stream_idle_timeout_seconds,
            backoff=Backoff(
                settings.stream_backoff_initial_seconds, settings.stream_backoff_max_seconds
            ),
            rate_limit_wait=settings.stream_rate_limit_wait_seconds,
            batch=settings.stream_batch_events,
        )
        processor = StreamProcessor(
            context.db,
            context.nats,
            context.publisher,
            name,
            signal_grace=dt.timedelta(seconds=settings.signal_grace_seconds),
            lock=lock,
        )
        follower = StreamFollower(
            client,
            processor,
            context.db,
            context.publisher,
            context.outbox,
            watchdog=dt.timedelta(minutes=settings.stream_watchdog_minutes),
        )
        if hours.always:
            context.health.add_readiness(f"stream:{name}", follower.check)
            components.tasks[f"stream:{name}"] = follower.run
        else:
            scheduled = ScheduledStream(name, hours, follower.run, follower.check)
            context.health.add_readiness(f"stream:{name}", scheduled.check)
            components.tasks[f"stream:{name}"] = scheduled.run
    return components


definition = ServiceDefinition(
    name=SERVICE,
    settings_type=Settings,
    build=build,
    migrations="stream_ingest.migrations",
)
