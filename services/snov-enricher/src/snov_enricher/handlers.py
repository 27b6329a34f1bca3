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
from leadpipe_contracts.companies import (
    CompanyObserved,
    StrikeOffEntered,
    StrikeOffKindIdentified,
    StrikeOffLeft,
)
from leadpipe_contracts.jobs import JobAction, JobCommand
from leadpipe_contracts.officers import OfficersListed
from leadpipe_contracts.privacy import (
    PrivacyErasureCompleted,
    PrivacyErasureRequested,
    PrivacySuppressionLiftCompleted,
    PrivacySuppressionLifted,
)
from leadpipe_contracts.webhooks import SnovWebhookReceived
from leadpipe_db import Database, inbox
from leadpipe_runtime import OutboxWriter
from leadpipe_runtime.privacy import erase_published_events, fingerprint
from leadpipe_runtime.tracing import link_current_span
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
            # More or fewer directors change the score that found contacts carry.
            produced += await repository.refresh_contacts(connection, number, now)
            await self._emit(connection, produced)
        self._wake()

    async def company_event(
        self,
        event: CompanyObserved | StrikeOffEntered | StrikeOffKindIdentified,
        delivery: Delivery,
    ) -> None:
        """Keep the company facts the lead score and contacts use; republish changed contacts."""
        now = self._clock.now()
        async with self._db.transaction() as connection:
            if not await inbox.claim(connection, "companies", event.event_id):
                return
            # Only the kind changes with StrikeOffKindIdentified: nothing new to search.
            searchable = not isinstance(event, StrikeOffKindIdentified)
            if isinstance(event, StrikeOffKindIdentified):
                number = event.company_number
                # Handled before its StrikeOffEntered (handlers run concurrently), the kind
                # still needs a row to wait in; the entry then keeps it.
                await repository.ensure_company(connection, number, None)
                if not await repository.identify_strike_off_kind(
                    connection, number, event.kind.value
                ):
                    return
            elif isinstance(event, CompanyObserved):
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
            produced = (
                await repository.advance(connection, number, now, self._include_unknown)
                if searchable
                else []
            )
            # Facts often arrive after the company's contacts were found (the strike-off kind
            # with StrikeOffEntered, a filing that changes the score): publish them again.
            produced += await repository.refresh_contacts(connection, number, now)
            await self._emit(connection, produced)
        if searchable:
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
            if batch is not None:
                # The push cannot carry our trace through Snov.io: link to the traces the
                # batch's items came from.
                link_current_span(item.trace for item in ledger.batch_items(batch))
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

    async def suppression_lifted(self, event: PrivacySuppressionLifted, delivery: Delivery) -> None:
        """Forget the suppressions an erasure request set: the person may be enriched again."""
        async with self._db.transaction() as connection:
            if not await inbox.claim(connection, "privacy-lifts", event.event_id):
                return
            removed = _count(
                await connection.execute(
                    "DELETE FROM suppressions WHERE request_id = $1", event.request_id
                )
            )
            await self._outbox.add(
                connection,
                PrivacySuppressionLiftCompleted(
                    event_id=derive_id("lift-completed", event.request_id, SERVICE),
                    occurred_at=self._clock.now(),
                    correlation_id=event.correlation_id or event.event_id,
                    causation_id=event.event_id,
                    request_id=event.request_id,
                    service=SERVICE,
                    suppressions_removed=removed,
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
    e-mail. A request naming only a company suppresses the whole company. Suppressions hold
    fingerprints: of the identifiers given, and of the name of every director erased, so that
    the same person listed again is recognised.
    """
    erased = 0
    request_id = request.request_id
    scope = request.company_number or "*"
    doomed: list[asyncpg.Record] = []
    if request.officer_id:
        await _suppress(connection, request_id, "officer_id", fingerprint(request.officer_id))
        doomed += await connection.fetch(
            "SELECT * FROM officers WHERE officer_id = $1", request.officer_id
        )
    if request.name:
        tokens = repository.name_tokens(request.name)
        await _suppress(
            connection, request_id, "person", f"{scope}|{repository.name_fingerprint(request.name)}"
        )
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
    emails: set[str] = set()
    if request.email:
        emails.add(request.email.strip().lower())
    doomed_keys = {(o["company_number"], o["officer_key"]) for o in doomed}
    emails |= {
        row["email"].lower()
        for row in await connection.fetch(
            "SELECT email FROM contacts WHERE (company_number, officer_key)"
            " IN (SELECT * FROM unnest($1::text[], $2::text[]))",
            [number for number, _ in doomed_keys],
            [key for _, key in doomed_keys],
        )
    }
    for email in sorted(emails):
        await _suppress(connection, request_id, "email", fingerprint(email))
        erased += _count(await connection.execute("DELETE FROM contacts WHERE email = $1", email))
        erased += _count(
            await connection.execute(
                "DELETE FROM email_lookups WHERE candidates::text LIKE '%' || $1 || '%'",
                f'"{email}"',
            )
        )
    if request.company_number and not (request.officer_id or request.name or request.email):
        await _suppress(connection, request_id, "company", request.company_number)
    lookup_keys: set[str] = set()
    names: set[str] = set()
    for officer in {(o["company_number"], o["officer_key"]): o for o in doomed}.values():
        full_name = f"{officer['first_name']} {officer['last_name']}"
        names.add(full_name)
        await _suppress(
            connection,
            request_id,
            "person",
            f"{officer['company_number']}|{repository.name_fingerprint(full_name)}",
        )
        if officer["officer_id"]:
            await _suppress(
                connection, request_id, "officer_id", fingerprint(officer["officer_id"])
            )
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
            lookup_keys.add(officer["lookup_key"])
            erased += _count(
                await connection.execute(
                    "DELETE FROM email_lookups WHERE lookup_key = $1 AND NOT EXISTS"
                    " (SELECT 1 FROM officers WHERE lookup_key = $1)",
                    officer["lookup_key"],
                )
            )
    await _forget_batch_items(connection, lookup_keys)
    await erase_published_events(
        connection,
        [
            request.officer_id,
            request.name,
            *emails,
            *names,
            *(o["officer_id"] for o in doomed),
        ],
    )
    return erased


async def _forget_batch_items(connection: asyncpg.Connection, lookup_keys: set[str]) -> None:
    """Blank the erased people in the record of Snov.io batches (their names and cache keys).

    Items keep their place: a batch still in flight maps results to items by position, and a
    blanked item matches no cache row, so a late result about the person is dropped.
    """
    if not lookup_keys:
        return
    batches = await connection.fetch(
        "SELECT batch_id, items FROM batches WHERE kind = 'emails' AND EXISTS ("
        " SELECT 1 FROM jsonb_array_elements(items) AS item WHERE item->>'key' = ANY($1::text[]))",
        sorted(lookup_keys),
    )
    for batch in batches:
        items = [
            ledger.BatchItem(f"erased:{fingerprint(item.key)}", ["", "", ""])
            if item.key in lookup_keys
            else item
            for item in ledger.batch_items(batch)
        ]
        await connection.execute(
            "UPDATE batches SET items = $2::jsonb WHERE batch_id = $1",
            batch["batch_id"],
            msgspec.json.encode(items).decode(),
        )


async def _suppress(connection: asyncpg.Connection, request_id: str, kind: str, value: str) -> None:
    await connection.execute(
        "INSERT INTO suppressions (kind, value, request_id) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING",
        kind,
        value,
        request_id,
    )


def _count(status: str) -> int:
    return int(status.split()[-1])
