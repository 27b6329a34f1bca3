"""Consumers of snov-enricher: one handler per message type.

Each handler claims the event in the inbox, changes state and queues the events it causes in
the outbox, all in one transaction; none calls Snov.io (the ``worker`` does, outside any
transaction). Handlers that create work wake the worker after committing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import asyncpg
import msgspec

from leadpipe_bus import Delivery
from leadpipe_contracts import Event, derive_id
from leadpipe_contracts.companies import CompanyObserved, StrikeOffEntered, StrikeOffLeft
from leadpipe_contracts.jobs import JobAction, JobCommand
from leadpipe_contracts.officers import OfficersListed
from leadpipe_contracts.privacy import PrivacyErasureCompleted, PrivacyErasureRequested
from leadpipe_contracts.webhooks import SnovWebhookReceived
from leadpipe_db import Database, inbox
from leadpipe_runtime import OutboxWriter
from snov_enricher.adapters import ledger, repository
from snov_enricher.clock import Clock
from snov_enricher.credits import PauseReason

log = logging.getLogger(__name__)

SERVICE = "snov-enricher"
STRIKE_OFF_DETAIL = "active-proposal-to-strike-off"


class _PushMeta(msgspec.Struct):
    task_hash: str | None = None


class _Push(msgspec.Struct):
    meta: _PushMeta | None = None


_push_decoder = msgspec.json.Decoder(_Push)


class Handlers:
    """The handlers, sharing the database, outbox, clock and a way to wake the worker.

    Args:
        consumer: Durable name prefix for inbox claims (``<durable>`` per consumer).
        wake: Called after a commit that created or unblocked work.
        include_unknown: Whether ``unknown`` e-mails make contacts.
    """

    def __init__(
        self,
        db: Database,
        outbox: OutboxWriter,
        clock: Clock,
        *,
        wake: Callable[[], None],
        include_unknown: bool,
    ) -> None:
        self._db = db
        self._outbox = outbox
        self._clock = clock
        self._wake = wake
        self._include_unknown = include_unknown

    async def _emit(self, connection: asyncpg.Connection, produced: Sequence[Event]) -> None:
        for event in produced:
            await self._outbox.add(connection, event)

    async def officers_listed(self, event: OfficersListed, delivery: Delivery) -> None:
        """Store the company's directors and queue (or answer from cache) its searches."""
        now = self._clock.now()
        async with self._db.transaction() as connection:
            if not await inbox.claim(connection, "officers", event.event_id):
                return
            number = event.company_number
            if await repository.is_suppressed_company(connection, number):
                return
            await repository.ensure_company(connection, number, event.company_name)
            await repository.replace_directors(connection, number, event.officers)
            await repository.rescore(connection, number, now.date())
            produced = await repository.advance(connection, number, now, self._include_unknown)
            await self._emit(connection, produced)
        self._wake()

    async def company_event(
        self, event: CompanyObserved | StrikeOffEntered, delivery: Delivery
    ) -> None:
        """Keep the company facts the lead score and contacts use."""
        now = self._clock.now()
        async with self._db.transaction() as connection:
            if not await inbox.claim(connection, "companies", event.event_id):
                return
            if isinstance(event, CompanyObserved):
                profile = event.profile
                number = profile.company_number
                relevant = profile.status_detail == STRIKE_OFF_DETAIL
                if not relevant and not await repository.company_exists(connection, number):
                    return  # not a lead: do not keep every company of the register
                await repository.ensure_company(connection, number, profile.company_name)
                await repository.update_facts(
                    connection,
                    number,
                    sic_codes=profile.sic_codes,
                    date_of_creation=profile.date_of_creation,
                    accounts_category=profile.accounts_category,
                    accounts_overdue=profile.accounts_overdue,
                    address=profile.registered_office_address,
                )
            else:
                number = event.company_number
                await repository.ensure_company(connection, number, event.company_name)
                await repository.set_strike_off(
                    connection,
                    number,
                    active=True,
                    kind=event.kind.value,
                    entered_on=event.entered_on,
                )
            await repository.rescore(connection, number, now.date())
            produced = await repository.advance(connection, number, now, self._include_unknown)
            await self._emit(connection, produced)
        self._wake()

    async def strike_off_left(self, event: StrikeOffLeft, delivery: Delivery) -> None:
        """Stop enriching a company that left strike-off (its pending work is skipped)."""
        async with self._db.transaction() as connection:
            if not await inbox.claim(connection, "strikeoff-left", event.event_id):
                return
            await repository.set_strike_off(connection, event.company_number, active=False)

    async def webhook(self, event: SnovWebhookReceived, delivery: Delivery) -> None:
        """Treat a push as a prompt to fetch the task's result now (pushed data is not trusted)."""
        now = self._clock.now()
        task_hash = event.task_hash
        if task_hash is None:
            try:
                meta = _push_decoder.decode(event.payload).meta
            except msgspec.DecodeError:
                meta = None
            task_hash = meta.task_hash if meta else None
        async with self._db.transaction() as connection:
            if not await inbox.claim(connection, "webhooks", event.event_id):
                return
            batch = await ledger.lock_batch(connection, event.batch_id)
            if batch is None or batch["state"] not in ("starting", "running"):
                log.info(
                    "push for a closed or unknown batch ignored", extra={"batch_id": event.batch_id}
                )
                return
            if batch["task_hash"] is None and task_hash:
                # The start call's answer was lost; the push tells which task it created.
                await connection.execute(
                    "UPDATE batches SET task_hash = $2, state = 'running',"
                    " started_at = coalesce(started_at, $3) WHERE batch_id = $1",
                    event.batch_id,
                    task_hash,
                    now,
                )
            elif task_hash and batch["task_hash"] != task_hash:
                log.warning("push names another task; ignored", extra={"batch_id": event.batch_id})
                return
            await connection.execute(
                "UPDATE batches SET poll_at = $2, webhook_at = $2 WHERE batch_id = $1",
                event.batch_id,
                now,
            )
        self._wake()

    async def privacy(self, event: PrivacyErasureRequested, delivery: Delivery) -> None:
        """Delete the person's data here and suppress them (or the company) from enrichment."""
        now = self._clock.now()
        async with self._db.transaction() as connection:
            if not await inbox.claim(connection, "privacy", event.event_id):
                return
            erased = await erase(connection, event)
            await self._outbox.add(
                connection,
                PrivacyErasureCompleted(
                    event_id=derive_id("erasure-completed", event.request_id, SERVICE),
                    occurred_at=now,
                    correlation_id=event.correlation_id or event.event_id,
                    causation_id=event.event_id,
                    request_id=event.request_id,
                    service=SERVICE,
                    records_erased=erased,
                ),
            )

    async def job_command(self, event: JobCommand, delivery: Delivery) -> None:
        """Operator pause / resume / cancel of enrichment (cancel pauses; work stays pending)."""
        if event.service != SERVICE:
            return
        now = self._clock.now()
        async with self._db.transaction() as connection:
            if not await inbox.claim(connection, "job-commands", event.event_id):
                return
            state = await ledger.lock_state(connection)
            if event.action in (JobAction.PAUSE, JobAction.CANCEL):
                await ledger.pause(connection, PauseReason.OPERATOR, now)
            elif state.paused:
                # Lift any pause; one still warranted (budget, cap) is re-applied at the next tick.
                await ledger.resume(connection)
        self._wake()


async def erase(connection: asyncpg.Connection, request: PrivacyErasureRequested) -> int:
    """Erase what matches the request and record suppressions; returns rows deleted.

    The person is matched by officer id, by name (within ``company_number`` when given) and by
    e-mail. A request naming only a company suppresses the whole company.
    """
    erased = 0
    scope = request.company_number or "*"
    doomed: list[asyncpg.Record] = []
    if request.officer_id:
        await _suppress(connection, "officer_id", request.officer_id)
        doomed += await connection.fetch(
            "SELECT * FROM officers WHERE officer_id = $1", request.officer_id
        )
    if request.name:
        tokens = repository.name_tokens(request.name)
        await _suppress(connection, "person", f"{scope}|{' '.join(sorted(tokens))}")
        rows = await connection.fetch(
            "SELECT * FROM officers WHERE $1::text IS NULL OR company_number = $1",
            request.company_number,
        )
        doomed += [
            row
            for row in rows
            if (wanted := repository.name_tokens(f"{row['first_name']} {row['last_name']}"))
            and wanted <= tokens
        ]
    if request.email:
        email = request.email.strip().lower()
        await _suppress(connection, "email", email)
        erased += _count(await connection.execute("DELETE FROM contacts WHERE email = $1", email))
        erased += _count(
            await connection.execute(
                "DELETE FROM email_lookups WHERE candidates::text LIKE '%' || $1 || '%'",
                f'"{email}"',
            )
        )
    if request.company_number and not (request.officer_id or request.name or request.email):
        await _suppress(connection, "company", request.company_number)
    for officer in {(o["company_number"], o["officer_key"]): o for o in doomed}.values():
        erased += _count(
            await connection.execute(
                "DELETE FROM contacts WHERE company_number = $1 AND officer_key = $2",
                officer["company_number"],
                officer["officer_key"],
            )
        )
        erased += _count(
            await connection.execute(
                "DELETE FROM officers WHERE company_number = $1 AND officer_key = $2",
                officer["company_number"],
                officer["officer_key"],
            )
        )
        if officer["lookup_key"]:
            erased += _count(
                await connection.execute(
                    "DELETE FROM email_lookups WHERE lookup_key = $1 AND NOT EXISTS"
                    " (SELECT 1 FROM officers WHERE lookup_key = $1)",
                    officer["lookup_key"],
                )
            )
    return erased


async def _suppress(connection: asyncpg.Connection, kind: str, value: str) -> None:
    await connection.execute(
        "INSERT INTO suppressions (kind, value) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        kind,
        value,
    )


def _count(status: str) -> int:
    return int(status.split()[-1])
