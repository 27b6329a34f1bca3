"""One handler per message officer-fetcher consumes.

Each handler claims the event in the inbox and changes state in the same transaction as the
events it causes (through the outbox), so a redelivered or replayed message changes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable

import asyncpg

from leadpipe_bus import Delivery
from leadpipe_contracts import derive_id
from leadpipe_contracts.companies import StrikeOffEntered, StrikeOffLeft
from leadpipe_contracts.gateway import GatewayResponse, Priority, RequestKind, ResponseStatus
from leadpipe_contracts.jobs import JobCommand
from leadpipe_contracts.officers import OfficersListed
from leadpipe_contracts.privacy import (
    PrivacyErasureCompleted,
    PrivacyErasureRequested,
    PrivacySuppressionLiftCompleted,
    PrivacySuppressionLifted,
)
from leadpipe_db import Database, inbox
from leadpipe_runtime import OutboxWriter
from leadpipe_runtime.privacy import erase_published_events
from officer_fetcher import backfill, domain
from officer_fetcher.adapters import repository
from officer_fetcher.settings import Settings

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
SERVICE = "officer-fetcher"


@dataclasses.dataclass
class Handlers:
    """The handlers with their dependencies.

    Attributes:
        wake: Called after a change the scheduler should act on soon (a wanted fetch, a
            finished backfill item).
    """

    db: Database
    outbox: OutboxWriter
    settings: Settings
    clock: Clock
    durables: dict[str, str]
    wake: Callable[[], None] = lambda: None

    @property
    def freshness(self) -> dt.timedelta:
        """How long a fetched officer list stays fresh."""
        return dt.timedelta(days=self.settings.officers_freshness_days)

    async def strike_off(self, event: StrikeOffEntered | StrikeOffLeft, delivery: Delivery) -> None:
        """Route the strike-off consumer's two event types."""
        if isinstance(event, StrikeOffEntered):
            await self.entered(event, delivery)
        else:
            await self.left(event, delivery)

    async def entered(self, event: StrikeOffEntered, delivery: Delivery) -> None:
        """Fetch the officers of a company that entered strike-off, unless a fresh list exists."""
        wanted = False
        async with self.db.transaction() as connection:
            if not await inbox.claim(connection, self.durables["strikeoff"], event.event_id):
                return
            now = self.clock()
            score = domain.lead_score(event.kind, event.source)
            company = await repository.record_entered(connection, event, score)
            if company is None:
                log.info("older strike-off entry ignored", extra={"company": event.company_number})
                return
            correlation = event.correlation_id or event.event_id
            if domain.is_fresh(
                fetched_at=company["officers_fetched_at"],
                fetched_profile_etag=company["fetched_profile_etag"],
                event_etag=event.etag,
                now=now,
                freshness=self.freshness,
            ):
                # Leads again without a REST call: publish the stored list for this entry.
                await self._publish_stored(connection, company, correlation, event.event_id)
                return
            priority = domain.priority_for(event.source)
            pending = company["fetch_state"] == "requested"
            if pending and repository.priority_rank(company["request_priority"]) >= (
                repository.priority_rank(priority)
            ):
                return
            if priority is Priority.LOW and not pending:
                if self.settings.request_bulk_entries:
                    await repository.mark_wanted(connection, event.company_number, now)
                    wanted = True
                return
            await repository.request_officers(
                connection,
                self.outbox,
                company,
                priority,
                now,
                correlation_id=correlation,
                causation_id=event.event_id,
            )
        if wanted:
            self.wake()

    async def left(self, event: StrikeOffLeft, delivery: Delivery) -> None:
        """A company left strike-off: its officers stop being leads (retention purges later)."""
        async with self.db.transaction() as connection:
            if not await inbox.claim(connection, self.durables["strikeoff"], event.event_id):
                return
            await repository.record_left(connection, event)

    async def response(self, event: GatewayResponse, delivery: Delivery) -> None:
        """Store an officer list the gateway fetched (for this service or anyone else)."""
        if event.kind is not RequestKind.OFFICER_LIST or not event.company_number:
            return
        async with self.db.transaction() as connection:
            if not await inbox.claim(connection, self.durables["responses"], event.event_id):
                return
            company = await repository.lock_company(connection, event.company_number)
            if company is None:
                # Not a company in strike-off that this service tracks: keep no personal data.
                log.info("officer list of an untracked company ignored")
                return
            outcome = await self._apply_response(connection, company, event)
            answered = company["request_id"] == event.request_id or (
                company["requested_at"] is not None
                and event.fetched_at is not None
                and event.fetched_at >= company["requested_at"]
            )
            still_requested = company["fetch_state"] == "requested" and not answered
            if company["fetch_state"] == "wanted" and outcome in ("ok", "not_found"):
                # Someone else's request brought the list: the low lane need not ask again.
                answered = True
            if answered:
                await connection.execute(
                    "UPDATE companies SET fetch_state = 'idle', request_id = NULL,"
                    " request_priority = NULL, requested_at = NULL, wanted_at = NULL"
                    " WHERE company_number = $1",
                    event.company_number,
                )
            if not still_requested:
                await repository.finish_backfill_items(
                    connection, event.company_number, outcome, self.clock()
                )
        self.wake()

    async def _apply_response(
        self, connection: asyncpg.Connection, company: asyncpg.Record, event: GatewayResponse
    ) -> str:
        number = company["company_number"]
        fetched_at = event.fetched_at or self.clock()
        if not company["in_strike_off"] and company["purged_at"] is not None:
            return "left"  # retention already forgot this company's people: keep it that way
        if event.status is ResponseStatus.FAILED:
            await connection.execute(
                "UPDATE companies SET fetch_outcome = 'failed', fetch_error = $2"
                " WHERE company_number = $1",
                number,
                event.reason or f"upstream status {event.upstream_status}",
            )
            return "failed"
        if event.status is ResponseStatus.NOT_FOUND:
            officer_list = domain.OfficerList(etag=None, total_results=0, officers=())
        else:
            try:
                officer_list = domain.parse_officer_list(bytes(event.body))
            except domain.MalformedOfficerList as exc:
                log.warning("unreadable officer list", extra={"company": number, "error": str(exc)})
                await connection.execute(
                    "UPDATE companies SET fetch_outcome = 'failed', fetch_error = $2"
                    " WHERE company_number = $1",
                    number,
                    str(exc),
                )
                return "failed"
            if officer_list.skipped:
                log.warning(
                    "officer items that are not objects skipped",
                    extra={"company": number, "skipped": officer_list.skipped},
                )
        previous = company["officers_fetched_at"]
        if previous is not None and fetched_at < previous:
            return "stale"  # an older answer overtaken by a newer one: keep the newer
        blocked = await repository.suppressed(connection, number, officer_list.officers)
        kept = [o for o in officer_list.officers if o.appointment_key not in blocked]
        await repository.replace_officers(
            connection, number, kept, leads=bool(company["in_strike_off"])
        )
        outcome = "ok" if event.status is ResponseStatus.OK else "not_found"
        updated = await connection.fetchrow(
            """
            UPDATE companies SET officers_fetched_at = $2, officers_etag = $3,
                fetched_profile_etag = profile_etag, officers_total = $4, fetch_outcome = $5,
                fetch_error = NULL, purged_at = NULL
            WHERE company_number = $1 RETURNING *
            """,
            number,
            fetched_at,
            officer_list.etag or event.etag,
            officer_list.total_results,
            outcome,
        )
        if company["in_strike_off"] and event.status is ResponseStatus.OK and updated is not None:
            correlation = event.correlation_id or event.event_id
            await self._publish_stored(connection, updated, correlation, event.event_id)
        return outcome

    async def _publish_stored(
        self,
        connection: asyncpg.Connection,
        company: asyncpg.Record,
        correlation_id: str,
        causation_id: str,
    ) -> None:
        """Publish OfficersListed with the company's stored active officers."""
        number = company["company_number"]
        rows = await connection.fetch(
            "SELECT * FROM officers WHERE company_number = $1 ORDER BY position", number
        )
        officers = [repository.officer_from_row(row) for row in rows]
        active = tuple(officer.to_contract() for officer in officers if officer.active)
        etag = company["officers_etag"]
        listed = OfficersListed(
            # One id per list version and strike-off entry: a re-fetch of an unchanged list is
            # a duplicate, a new entry into strike-off is news.
            event_id=derive_id(
                "officers.listed", number, etag or causation_id, company["entered_at"]
            ),
            occurred_at=self.clock(),
            correlation_id=correlation_id,
            causation_id=causation_id,
            company_number=number,
            company_name=company["company_name"],
            officers=active,
            has_active_individual_director=domain.has_active_individual_director(officers),
            total_results=company["officers_total"] or 0,
            etag=etag,
            fetched_at=company["officers_fetched_at"] or self.clock(),
        )
        await self.outbox.add(connection, listed)

    async def privacy(self, event: PrivacyErasureRequested, delivery: Delivery) -> None:
        """Delete a person's officer rows, suppress them from now on, and report completion."""
        async with self.db.transaction() as connection:
            if not await inbox.claim(connection, self.durables["privacy"], event.event_id):
                return
            erased = await _erase(connection, event)
            completed = PrivacyErasureCompleted(
                event_id=derive_id("privacy.erasure.completed", event.request_id, SERVICE),
                occurred_at=self.clock(),
                correlation_id=event.correlation_id or event.event_id,
                causation_id=event.event_id,
                request_id=event.request_id,
                service=SERVICE,
                records_erased=erased,
            )
            await self.outbox.add(connection, completed)

    async def suppression_lifted(self, event: PrivacySuppressionLifted, delivery: Delivery) -> None:
        """Forget the suppressions an erasure request set: the person may be stored again."""
        async with self.db.transaction() as connection:
            if not await inbox.claim(connection, self.durables["privacy-lifts"], event.event_id):
                return
            removed = await repository.remove_suppressions(connection, event.request_id)
            await self.outbox.add(
                connection,
                PrivacySuppressionLiftCompleted(
                    event_id=derive_id(
                        "privacy.suppression.lift_completed", event.request_id, SERVICE
                    ),
                    occurred_at=self.clock(),
                    correlation_id=event.correlation_id or event.event_id,
                    causation_id=event.event_id,
                    request_id=event.request_id,
                    service=SERVICE,
                    suppressions_removed=removed,
                ),
            )

    async def job_command(self, event: JobCommand, delivery: Delivery) -> None:
        """Pause, resume or cancel a backfill job."""
        if event.service != SERVICE:
            return
        async with self.db.transaction() as connection:
            if not await inbox.claim(connection, self.durables["job-commands"], event.event_id):
                return
            changed = await backfill.apply_command(
                connection, event.job_id, event.action, self.clock()
            )
            if changed:
                now = self.clock()
                await backfill.report(
                    connection,
                    self.outbox,
                    event.job_id,
                    now,
                    force=True,
                    held=backfill.held_message(self.settings, now),
                )
        self.wake()


async def _erase(connection: asyncpg.Connection, event: PrivacyErasureRequested) -> int:
    """Delete the officer rows designated by an erasure request; returns how many."""
    if not event.officer_id and not event.name:
        return 0  # officer-fetcher holds no e-mail addresses
    tokens = sorted(domain.name_tokens(event.name or ""), key=len, reverse=True)
    rows = await connection.fetch(
        """
        SELECT company_number, appointment_key, officer_id, name FROM officers
        WHERE (officer_id = $1)
           OR ($2::text IS NOT NULL AND lower(name) LIKE '%' || $2 || '%'
               AND ($3::text IS NULL OR company_number = $3))
        """,
        event.officer_id,
        tokens[0] if tokens else None,
        event.company_number,
    )
    erased = [
        row
        for row in rows
        if (event.officer_id and row["officer_id"] == event.officer_id)
        or (
            event.name
            and domain.name_matches(event.name, row["name"])
            and (event.company_number is None or row["company_number"] == event.company_number)
        )
    ]
    for row in erased:
        await connection.execute(
            "DELETE FROM officers WHERE company_number = $1 AND appointment_key = $2",
            row["company_number"],
            row["appointment_key"],
        )
        await repository.add_suppression(
            connection,
            event.request_id,
            officer_id=row["officer_id"],
            name=row["name"],
            company_number=event.company_number,
        )
    await repository.add_suppression(
        connection,
        event.request_id,
        officer_id=event.officer_id,
        name=event.name,
        company_number=event.company_number,
    )
    await erase_published_events(
        connection,
        [
            event.officer_id,
            event.name,
            *(v for row in erased for v in (row["officer_id"], row["name"])),
        ],
    )
    return len(erased)
