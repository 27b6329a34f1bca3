"""Composition root of snov-enricher: the Snov.io client, the scheduler and the consumers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from leadpipe_bus import Subscription
from leadpipe_contracts.companies import (
    CompanyObserved,
    StrikeOffEntered,
    StrikeOffKindIdentified,
    StrikeOffLeft,
)
from leadpipe_contracts.jobs import JobCommand
from leadpipe_contracts.officers import OfficersListed
from leadpipe_contracts.privacy import PrivacyErasureRequested, PrivacySuppressionLifted
from leadpipe_contracts.webhooks import SnovWebhookReceived
from leadpipe_runtime import Components, ServiceContext, ServiceDefinition
from snov_enricher.adapters import Pacer, SnovClient
from snov_enricher.clock import Clock, SystemClock
from snov_enricher.handlers import Handlers
from snov_enricher.settings import Settings
from snov_enricher.worker import Enricher

SERVICE = "snov-enricher"


def make_build(
    clock: Clock | None = None,
) -> Callable[[ServiceContext[Settings]], Awaitable[Components]]:
    """A ``build`` using ``clock`` (tests move it to the next billing period)."""

    async def build(context: ServiceContext[Settings]) -> Components:
        settings = context.settings
        now = clock or SystemClock()
        pacer = Pacer(
            settings.snov_rate_limit,
            settings.snov_rate_window_seconds,
            guard=settings.snov_rate_guard_seconds,
        )
        client = SnovClient(
            settings.snov_api_url,
            settings.snov_client_id,
            settings.snov_client_secret.reveal(),
            pacer,
            timeout=settings.snov_timeout_seconds,
        )
        enricher = Enricher(context.db, context.outbox, client, now, settings)
        context.health.add_readiness("credits", enricher.health)
        handlers = Handlers(
            context.db,
            context.outbox,
            now,
            wake=enricher.wake,
            include_unknown=settings.include_unknown,
        )
        consumer = context.topology.consumer
        return Components(
            subscriptions=[
                Subscription(
                    consumer(SERVICE, "officers"), OfficersListed, handlers.officers_listed
                ),
                Subscription(
                    consumer(SERVICE, "companies"),
                    CompanyObserved | StrikeOffEntered | StrikeOffKindIdentified,
                    handlers.company_event,
                ),
                Subscription(
                    consumer(SERVICE, "strikeoff-left"), StrikeOffLeft, handlers.strike_off_left
                ),
                Subscription(consumer(SERVICE, "webhooks"), SnovWebhookReceived, handlers.webhook),
                Subscription(
                    consumer(SERVICE, "privacy"), PrivacyErasureRequested, handlers.privacy
                ),
                Subscription(
                    consumer(SERVICE, "privacy-lifts"),
                    PrivacySuppressionLifted,
                    handlers.suppression_lifted,
                ),
                Subscription(consumer(SERVICE, "job-commands"), JobCommand, handlers.job_command),
            ],
            tasks={"enricher": enricher.run},
            on_stop=[client.close],
        )

    return build


definition = ServiceDefinition(
    name=SERVICE,
    settings_type=Settings,
    build=make_build(),
    migrations="snov_enricher.migrations",
)
