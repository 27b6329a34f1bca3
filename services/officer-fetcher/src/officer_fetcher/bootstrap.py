"""Composition root of officer-fetcher: wires its adapters and handlers to the shared runtime."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

import asyncpg

from leadpipe_bus import Subscription
from leadpipe_contracts import utcnow
from leadpipe_contracts.companies import StrikeOffEntered, StrikeOffLeft
from leadpipe_contracts.gateway import GatewayResponse
from leadpipe_contracts.jobs import JobCommand
from leadpipe_contracts.privacy import PrivacyErasureRequested, PrivacySuppressionLifted
from leadpipe_runtime import Components, ServiceContext, ServiceDefinition
from officer_fetcher import backfill, retention
from officer_fetcher.handlers import Clock, Handlers
from officer_fetcher.settings import Settings

log = logging.getLogger(__name__)
SERVICE = "officer-fetcher"
# A database outage pauses a periodic job; it retries on its next turn instead of stopping.
_OUTAGES = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


def make_definition(clock: Clock = utcnow) -> ServiceDefinition[Settings]:
    """The service definition, with the clock its handlers and periodic jobs read."""

    async def build(context: ServiceContext[Settings]) -> Components:
        settings = context.settings
        topology = context.topology
        specs = {name: topology.consumer(SERVICE, name) for name in _CONSUMERS}
        wake = asyncio.Event()
        handlers = Handlers(
            db=context.db,
            outbox=context.outbox,
            settings=settings,
            clock=clock,
            durables={name: spec.durable for name, spec in specs.items()},
            wake=wake.set,
        )

        async def schedule() -> None:
            while True:
                wake.clear()
                try:
                    await backfill.advance(context.db, context.outbox, settings, clock())
                except _OUTAGES as exc:
                    log.warning("scheduler step failed, will retry: %r", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), settings.scheduler_interval_seconds)

        async def retain() -> None:
            period = dt.timedelta(days=settings.retention_days)
            while True:
                try:
                    await retention.purge_expired(context.db, context.outbox, clock(), period)
                except _OUTAGES as exc:
                    log.warning("retention run failed, will retry: %r", exc)
                await asyncio.sleep(settings.retention_interval_seconds)

        return Components(
            subscriptions=[
                Subscription(
                    specs["strikeoff"], StrikeOffEntered | StrikeOffLeft, handlers.strike_off
                ),
                Subscription(specs["responses"], GatewayResponse, handlers.response),
                Subscription(specs["privacy"], PrivacyErasureRequested, handlers.privacy),
                Subscription(
                    specs["privacy-lifts"], PrivacySuppressionLifted, handlers.suppression_lifted
                ),
                Subscription(specs["job-commands"], JobCommand, handlers.job_command),
            ],
            tasks={"scheduler": schedule, "retention": retain},
        )

    return ServiceDefinition(
        name=SERVICE,
        settings_type=Settings,
        build=build,
        migrations="officer_fetcher.migrations",
    )


_CONSUMERS = ("strikeoff", "responses", "privacy", "privacy-lifts", "job-commands")

definition = make_definition()
