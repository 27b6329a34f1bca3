"""Composition root of crm-sync: wires its adapters and handlers to the shared runtime.

crm-sync is one instance per GoHighLevel location: the pacer keeps one process inside the
location's rate limits, which several uncoordinated instances would share and overrun.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp

from crm_sync.adapters.ghl import AuthGate, GhlClient, GhlUnavailable
from crm_sync.adapters.store import PostgresStore
from crm_sync.fields import FieldNames, FieldResolver
from crm_sync.handlers import CrmSync
from crm_sync.pacing import Pacer, RateBudget
from crm_sync.settings import Settings
from leadpipe_bus import Subscription
from leadpipe_contracts.companies import StrikeOffLeft
from leadpipe_contracts.enrichment import ContactFound
from leadpipe_contracts.privacy import PrivacyErasureRequested, PrivacySuppressionLifted
from leadpipe_runtime import CheckResult, Components, ServiceContext, ServiceDefinition, Status

SERVICE = "crm-sync"
log = logging.getLogger(__name__)


def make_client(settings: Settings, session: aiohttp.ClientSession) -> GhlClient:
    """The GoHighLevel client with its pacer and token gate, from settings."""
    budget = RateBudget(
        settings.ghl_burst_limit,
        settings.ghl_burst_interval_seconds,
        settings.ghl_daily_limit,
        backoff_base=settings.ghl_backoff_base_seconds,
        backoff_max=settings.ghl_backoff_max_seconds,
    )
    return GhlClient(
        session,
        base_url=settings.ghl_api_url,
        token=settings.ghl_token,
        location_id=settings.ghl_location_id,
        pacer=Pacer(budget),
        gate=AuthGate(settings.ghl_auth_retry_seconds),
        timeout=settings.ghl_timeout_seconds,
        server_error_attempts=settings.ghl_server_error_attempts,
        backoff_base=settings.ghl_backoff_base_seconds,
    )


async def build(context: ServiceContext[Settings]) -> Components:
    """Assemble the service's consumers, the custom-field resolution and the health checks."""
    settings = context.settings
    session = aiohttp.ClientSession()
    client = make_client(settings, session)
    fields = FieldResolver(
        client,
        FieldNames(
            company_number=settings.field_company_number,
            strike_off_date=settings.field_strike_off_date,
            officer_role=settings.field_officer_role,
            lead_score=settings.field_lead_score,
        ),
    )
    privacy = context.topology.consumer(SERVICE, "privacy")
    lifts = context.topology.consumer(SERVICE, "privacy-lifts")
    sync = CrmSync(
        settings,
        client,
        PostgresStore(context.db, context.outbox),
        fields,
        privacy_consumer=privacy.durable,
        lifts_consumer=lifts.durable,
    )

    async def ghl_check() -> CheckResult:
        if not client.gate.ok:
            return CheckResult(
                Status.DEGRADED, f"GoHighLevel refuses the token ({client.gate.refusal})"
            )
        paused = client.pacer.paused_for()
        if paused > 0:
            return CheckResult(Status.DEGRADED, f"rate limited; calls paused for {paused:.1f}s")
        if not fields.resolved:
            return CheckResult(Status.DEGRADED, "custom fields not resolved yet")
        return CheckResult(Status.OK)

    context.health.add_readiness("gohighlevel", ghl_check)

    async def resolve_fields() -> None:
        # Resolve at start so that a bad token or location shows up before the first lead;
        # handlers resolve on demand if this has not finished.
        while not fields.resolved:
            try:
                await fields.ids()
            except GhlUnavailable as exc:
                log.warning("custom fields not resolved yet: %s", exc)
                await asyncio.sleep(settings.ghl_backoff_max_seconds)
            except Exception:
                log.exception("custom field resolution failed")
                await asyncio.sleep(settings.ghl_backoff_max_seconds)

    async def close_session() -> None:
        await session.close()

    return Components(
        subscriptions=[
            Subscription(
                context.topology.consumer(SERVICE, "contacts"), ContactFound, sync.contact_found
            ),
            Subscription(
                context.topology.consumer(SERVICE, "strikeoff-left"),
                StrikeOffLeft,
                sync.strike_off_left,
            ),
            Subscription(privacy, PrivacyErasureRequested, sync.erasure_requested),
            Subscription(lifts, PrivacySuppressionLifted, sync.suppression_lifted),
        ],
        tasks={"resolve-custom-fields": resolve_fields},
        on_stop=[close_session],
    )


definition = ServiceDefinition(
    name=SERVICE,
    settings_type=Settings,
    build=build,
    migrations="crm_sync.migrations",
)
