"""The enrichment scheduler: the only place that calls Snov.io.

Each tick, in order:

1. **Credits.** Lift a pause whose reason is over (next period, next day, or a re-checked balance).
2. **Results.** Fetch the result of every batch that is due: a webhook arrived (it only prompts
   the fetch; pushed data is never trusted) or no webhook came within the timeout (polling
   fallback). Completed results are applied in one transaction with the ledger update, so a
   result is applied — and its credits counted — once, however many webhooks arrive.
3. **Stale batches.** Give up batches whose start call's answer was lost (no task hash, no push)
   or whose task never completed; their items return to pending.
4. **New batches,** unless paused: e-mail searches first (their domains are already paid for),
   then domain searches; each takes up to 10 pending items in lead-score order, no more than the
   credits still allowed (budget, daily cap, balance). The batch is recorded and its credits
   reserved before the start call, so the webhook token exists and a crash cannot lose the
   reservation.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from leadpipe_bus.telemetry import Attr, SpanName
from leadpipe_contracts import Event
from leadpipe_db import Database
from leadpipe_runtime import CheckResult, OutboxWriter, Status
from leadpipe_runtime.tracing import continued
from snov_enricher import events, metrics, tokens
from snov_enricher.adapters import ledger, repository
from snov_enricher.adapters.errors import (
    SnovAuthError,
    SnovError,
    SnovOutOfCreditsError,
    SnovTransientError,
)
from snov_enricher.adapters.snov_client import BATCH_LIMIT, SnovClient
from snov_enricher.clock import Clock
from snov_enricher.credits import PauseReason, allowance, period_of, resumes
from snov_enricher.results import (
    TaskStatus,
    charged_credits,
    parse_domain_result,
    parse_email_result,
)
from snov_enricher.settings import Settings

log = logging.getLogger(__name__)

AUTH_RETRY_SECONDS = 300.0


@dataclasses.dataclass
class CreditView:
    """The latest credit position, for the health detail."""

    period: str = ""
    charged: int = 0
    reserved: int = 0
    paused: bool = False
    reason: str | None = None
    auth_failed: bool = False


class Enricher:
    """Runs the ticks; ``wake`` makes the next one start now."""

    def __init__(
        self,
        db: Database,
        outbox: OutboxWriter,
        client: SnovClient,
        clock: Clock,
        settings: Settings,
    ) -> None:
        self._db = db
        self._outbox = outbox
        self._client = client
        self._clock = clock
        self._settings = settings
        self._secret = settings.webhook_secret.reveal()
        self._wake = asyncio.Event()
        self._auth_retry_at = 0.0
        self.view = CreditView()

    def wake(self) -> None:
        """Run the next tick without waiting for the interval."""
        self._wake.set()

    async def run(self) -> None:
        """Tick until cancelled; a failing tick is logged and retried at the next one."""
        while True:
            self._wake.clear()
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("enrichment tick failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._settings.tick_seconds)

    async def health(self) -> CheckResult:
        """Degraded (still ready) while paused; the detail says why."""
        view = self.view
        if view.auth_failed:
            return CheckResult(Status.DEGRADED, "Snov.io refused the credentials")
        if view.paused:
            return CheckResult(
                Status.DEGRADED,
                f"paused: {view.reason} ({view.period}: {view.charged} charged,"
                f" {view.reserved} reserved of {self._settings.monthly_budget})",
            )
        return CheckResult(Status.OK)

    async def tick(self) -> None:
        """One pass of the scheduler (see the module docstring)."""
        now = self._clock.now()
        paused = await self._check_pause(now)
        await self._confirm_due(now)
        await self._release_stale(now)
        if not paused and asyncio.get_running_loop().time() >= self._auth_retry_at:
            for kind in ("emails", "domain"):
                if await self._start_batch(kind, now):
                    # Credits may be exhausted by now; the next tick decides the next batch.
                    self.wake()
                    break

    # --- credits -----------------------------------------------------------------------------

    async def _status_event(self, connection: Any, now: dt.datetime) -> Event:
        usage = await ledger.usage(connection, now)
        state = await connection.fetchrow("SELECT paused, reason FROM credit_state WHERE id = 1")
        self.view.period = period_of(now)
        self.view.charged = usage.charged
        self.view.reserved = usage.reserved
        self.view.paused = state["paused"]
        self.view.reason = state["reason"]
        metrics.CREDITS_CHARGED.set(usage.charged)
        metrics.CREDITS_RESERVED.set(usage.reserved)
        metrics.CREDIT_BUDGET.set(self._settings.monthly_budget)
        metrics.PAUSED.set(1 if state["paused"] else 0)
        return events.credit_status(
            now=now,
            period=period_of(now),
            budget=self._settings.monthly_budget,
            reserved=usage.reserved,
            charged=usage.charged,
            paused=state["paused"],
            reason=state["reason"],
            balance=usage.balance,
            daily_cap=self._settings.daily_cap,
            charged_today=usage.charged_today,
        )

    async def _check_pause(self, now: dt.datetime) -> bool:
        async with self._db.transaction() as connection:
            state = await ledger.lock_state(connection)
        if not state.paused or state.reason is None:
            self.view.paused = False
            return False
        balance: float | None = None
        if state.reason in (PauseReason.BALANCE_EXHAUSTED, PauseReason.NOT_ENOUGH_CREDITS):
            checked = state.balance_checked_at
            if checked is None or now - checked >= dt.timedelta(
                seconds=self._settings.balance_recheck_seconds
            ):
                balance = await self._read_balance(now)
        over = resumes(
            state.reason,
            paused_period=state.paused_period or period_of(now),
            paused_day=state.paused_day or now.date(),
            now=now,
            balance=balance,
        )
        async with self._db.transaction() as connection:
            if not over and state.reason in (PauseReason.BUDGET_EXHAUSTED, PauseReason.DAILY_CAP):
                # A budget or cap raised since the pause (a restart with new settings) lifts it.
                usage = await ledger.usage(connection, now)
                budget, cap = self._settings.monthly_budget, self._settings.daily_cap
                over = allowance(usage, budget=budget, daily_cap=cap).exhausted is None
            if over:
                await ledger.resume(connection)
                log.info("enrichment resumed", extra={"reason": state.reason.value})
                await self._outbox.add(connection, await self._status_event(connection, now))
            else:
                await self._status_event(connection, now)
        return not over

    async def _read_balance(self, now: dt.datetime) -> float | None:
        try:
            balance = await self._client.balance()
        except SnovError as exc:
            log.warning("get-balance failed: %s", exc)
            return None
        async with self._db.transaction() as connection:
            await ledger.record_balance(connection, balance, now)
        return balance

    async def _pause(self, reason: PauseReason, now: dt.datetime) -> None:
        async with self._db.transaction() as connection:
            await ledger.lock_state(connection)
            await ledger.pause(connection, reason, now)
            await self._outbox.add(connection, await self._status_event(connection, now))
        log.warning("enrichment paused", extra={"reason": reason.value})

    # --- results -----------------------------------------------------------------------------

    async def _confirm_due(self, now: dt.datetime) -> None:
        async with self._db.transaction() as connection:
            due = await ledger.due_batches(connection, now, BATCH_LIMIT)
        for batch in due:
            try:
                with _batch_span(SpanName.snov_fetch, batch["batch_id"], batch["kind"], batch):
                    if batch["kind"] == "domain":
                        body = await self._client.domain_result(batch["task_hash"])
                    else:
                        body = await self._client.email_result(batch["task_hash"])
            except SnovError as exc:
                log.warning("result fetch failed: %s", exc, extra={"batch_id": batch["batch_id"]})
                await self._poll_later(batch["batch_id"], now)
                continue
            await self._apply(batch["batch_id"], body, now)

    async def _poll_later(self, batch_id: str, now: dt.datetime) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(
                "UPDATE batches SET poll_at = $2, polls = polls + 1 WHERE batch_id = $1",
                batch_id,
                now + dt.timedelta(seconds=self._settings.poll_interval_seconds),
            )

    async def _apply(self, batch_id: str, body: bytes, now: dt.datetime) -> None:
        include_unknown = self._settings.include_unknown
        pause_for: PauseReason | None = None
        async with self._db.transaction() as connection:
            batch = await ledger.lock_batch(connection, batch_id)
            if batch is None or batch["state"] not in ("starting", "running"):
                return  # already applied (a duplicate push or a concurrent poll)
            items = ledger.batch_items(batch)
            # Contacts are built from company facts that handlers change concurrently.
            await repository.lock_companies(connection, batch["kind"], [item.key for item in items])
            if batch["kind"] == "domain":
                domain_result = parse_domain_result(body, [item.sent[0] for item in items])
                status = domain_result.status
                if status is TaskStatus.COMPLETED:
                    charged = sum(1 for d in domain_result.domains.values() if d)
                    for item in items:
                        # Each item's events (and the searches they queue) continue its own trace.
                        with _item_span(batch_id, "domain", item):
                            await self._emit(
                                connection,
                                await repository.apply_domain(
                                    connection,
                                    item.key,
                                    domain_result.domains.get(item.sent[0]),
                                    now,
                                    include_unknown,
                                ),
                            )
            else:
                email_result = parse_email_result(
                    body, [(item.sent[0], item.sent[1]) for item in items]
                )
                status = email_result.status
                if status is TaskStatus.COMPLETED:
                    charged = 0
                    for index, item in enumerate(items):
                        found = email_result.emails.get(index, ())
                        charged += charged_credits(found)
                        with _item_span(batch_id, "emails", item):
                            await self._emit(
                                connection,
                                await repository.apply_emails(
                                    connection, item.key, found, now, include_unknown
                                ),
                            )
            if status is TaskStatus.COMPLETED:
                await ledger.settle(connection, batch, charged, now)
                await ledger.close_batch(connection, batch_id, "completed", charged, now)
            elif status is TaskStatus.NOT_ENOUGH_CREDITS:
                await ledger.settle(connection, batch, 0, now)
                await ledger.requeue_items(connection, batch["kind"], batch_id)
                await ledger.close_batch(connection, batch_id, "not_enough_credits", 0, now)
                await ledger.record_balance(connection, 0.0, now)
                pause_for = PauseReason.NOT_ENOUGH_CREDITS
            else:
                await connection.execute(
                    "UPDATE batches SET poll_at = $2, polls = polls + 1 WHERE batch_id = $1",
                    batch_id,
                    now + dt.timedelta(seconds=self._settings.poll_interval_seconds),
                )
                return
            await self._outbox.add(connection, await self._status_event(connection, now))
        log.info(
            "batch applied",
            extra={"batch_id": batch_id, "kind": batch["kind"], "status": status.value},
        )
        if pause_for is not None:
            await self._pause(pause_for, now)

    async def _emit(self, connection: Any, produced: list[Event]) -> None:
        for event in produced:
            await self._outbox.add(connection, event)

    async def _release_stale(self, now: dt.datetime) -> None:
        settings = self._settings
        async with self._db.transaction() as connection:
            stale = await ledger.stale_batches(
                connection,
                orphaned_before=now - dt.timedelta(seconds=settings.orphan_timeout_seconds),
                expired_before=now - dt.timedelta(seconds=settings.task_timeout_seconds),
            )
            for batch in stale:
                log.warning("batch given up", extra={"batch_id": batch["batch_id"]})
                await ledger.settle(connection, batch, 0, now)
                await ledger.release_items(
                    connection, batch["kind"], batch["batch_id"], settings.max_attempts
                )
                await ledger.close_batch(connection, batch["batch_id"], "abandoned", 0, now)

    # --- new batches -------------------------------------------------------------------------

    async def _balance_is_stale(self, now: dt.datetime) -> bool:
        async with self._db.transaction() as connection:
            checked = await connection.fetchval(
                "SELECT balance_checked_at FROM credit_state WHERE id = 1"
            )
        return checked is None or now - checked >= dt.timedelta(
            seconds=self._settings.balance_check_seconds
        )

    async def _pending(self, connection: Any, kind: str, limit: int) -> list[Any]:
        if kind == "domain":
            query = (
                "SELECT l.normalised_name AS key, l.query_name, l.traceparent,"
                " min(l.queued_at) AS queued_at, max(c.lead_score) AS score FROM domain_lookups l"
                " JOIN companies c ON c.normalised_name = l.normalised_name"
                " WHERE l.state = 'pending' AND c.domain_state = 'pending' AND c.in_strike_off"
                " AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.kind = 'company'"
                " AND s.value = c.company_number)"
                " GROUP BY l.normalised_name, l.query_name, l.traceparent"
                " ORDER BY score DESC, queued_at, key LIMIT $1"
            )
        else:
            query = (
                "SELECT e.lookup_key AS key, e.first_name, e.last_name, e.domain, e.traceparent,"
                " min(e.queued_at) AS queued_at, max(c.lead_score) AS score FROM email_lookups e"
                " JOIN officers o ON o.lookup_key = e.lookup_key"
                " JOIN companies c ON c.company_number = o.company_number"
                " WHERE e.state = 'pending' AND c.in_strike_off AND c.domain_state = 'found'"
                " AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.kind = 'company'"
                " AND s.value = c.company_number)"
                " GROUP BY e.lookup_key, e.first_name, e.last_name, e.domain, e.traceparent"
                " ORDER BY score DESC, queued_at, key LIMIT $1"
            )
        return list(await connection.fetch(query, limit))

    async def _start_batch(self, kind: str, now: dt.datetime) -> bool:
        """Start one batch of ``kind`` if work and credits allow; True if one was started."""
        settings = self._settings
        async with self._db.transaction() as connection:
            if not await self._pending(connection, kind, 1):
                return False
        if await self._balance_is_stale(now):
            await self._read_balance(now)
        batch_id = tokens.new_batch_id()
        async with self._db.transaction() as connection:
            state = await ledger.lock_state(connection)
            if state.paused:
                return False
            usage = await ledger.usage(connection, now)
            allowed = allowance(usage, budget=settings.monthly_budget, daily_cap=settings.daily_cap)
            exhausted = allowed.exhausted
            if exhausted is None:
                size = min(BATCH_LIMIT, allowed.credits)
                if size == 0:
                    return False  # credits are held by batches in flight: wait for them
                rows = await self._pending(connection, kind, BATCH_LIMIT)
                if not rows:
                    return False
                oldest = min(row["queued_at"] for row in rows)
                waited = now - oldest >= dt.timedelta(seconds=settings.batch_fill_wait_seconds)
                if len(rows) < BATCH_LIMIT and not waited:
                    # Let a burst of arrivals gather: fuller calls, and with credits short the
                    # best of the burst rather than the first to arrive.
                    return False
                rows = rows[:size]
                items = [
                    ledger.BatchItem(row["key"], [row["query_name"]], row["traceparent"])
                    if kind == "domain"
                    else ledger.BatchItem(
                        row["key"],
                        [row["first_name"], row["last_name"], row["domain"]],
                        row["traceparent"],
                    )
                    for row in rows
                ]
                table = "domain_lookups" if kind == "domain" else "email_lookups"
                key_column = "normalised_name" if kind == "domain" else "lookup_key"
                await connection.execute(
                    f"UPDATE {table} SET state = 'searching', batch_id = $1"  # noqa: S608
                    f" WHERE {key_column} = ANY($2::text[]) AND state = 'pending'",
                    batch_id,
                    [item.key for item in items],
                )
                await ledger.create_batch(connection, batch_id, kind, items, now)
        if exhausted is not None:
            await self._pause(exhausted, now)
            return False
        return await self._call_start(batch_id, kind, items, now)

    async def _call_start(
        self, batch_id: str, kind: str, items: list[ledger.BatchItem], now: dt.datetime
    ) -> bool:
        settings = self._settings
        url = (
            tokens.webhook_url(settings.public_webhook_url, batch_id, self._secret)
            if settings.public_webhook_url
            else None
        )
        try:
            with _batch_span(SpanName.snov_start, batch_id, kind, items):
                if kind == "domain":
                    task_hash = await self._client.start_domain_search(
                        [item.sent[0] for item in items], url
                    )
                else:
                    task_hash = await self._client.start_email_search(
                        [(item.sent[0], item.sent[1], item.sent[2]) for item in items], url
                    )
        except SnovTransientError as exc:
            if exc.maybe_started:
                # Snov.io may have started it: keep the batch until a push names its task or
                # the orphan timeout gives it up.
                log.warning("start call outcome unknown: %s", exc, extra={"batch_id": batch_id})
                return True
            await self._undo(batch_id, kind, now)
            log.warning("start call failed: %s", exc, extra={"batch_id": batch_id})
            return False
        except SnovOutOfCreditsError:
            await self._undo(batch_id, kind, now)
            await self._pause(PauseReason.NOT_ENOUGH_CREDITS, now)
            return False
        except SnovAuthError:
            # Refused credentials will not fix themselves quickly: alert and retry rarely.
            self.view.auth_failed = True
            self._auth_retry_at = asyncio.get_running_loop().time() + AUTH_RETRY_SECONDS
            await self._undo(batch_id, kind, now)
            raise
        except SnovError:
            await self._undo(batch_id, kind, now, count_attempt=True)
            raise
        self.view.auth_failed = False
        wait = settings.webhook_timeout_seconds if url else settings.poll_interval_seconds
        poll_at = self._clock.now() + dt.timedelta(seconds=wait)
        async with self._db.transaction() as connection:
            await ledger.mark_started(connection, batch_id, task_hash, self._clock.now(), poll_at)
            await self._outbox.add(connection, await self._status_event(connection, now))
        log.info(
            "batch started",
            extra={"batch_id": batch_id, "kind": kind, "items": len(items), "task": task_hash},
        )
        return True

    async def _undo(
        self, batch_id: str, kind: str, now: dt.datetime, *, count_attempt: bool = False
    ) -> None:
        async with self._db.transaction() as connection:
            batch = await ledger.lock_batch(connection, batch_id)
            await ledger.settle(connection, batch, 0, now)
            if count_attempt:
                await ledger.release_items(connection, kind, batch_id, self._settings.max_attempts)
            else:
                await ledger.requeue_items(connection, kind, batch_id)
            await ledger.close_batch(connection, batch_id, "abandoned", 0, now)


def _batch_span(
    name: Callable[[str], str], batch_id: str, kind: str, batch: Any
) -> contextlib.AbstractContextManager[Any]:
    """A span for one Snov.io call of a batch: in the first item's trace, linked to the rest.

    ``batch`` is the item list or a ``batches`` row.
    """
    items = batch if isinstance(batch, list) else ledger.batch_items(batch)
    return continued(
        name(kind),
        [item.trace for item in items],
        {
            Attr.SNOV_BATCH_ID: batch_id,
            Attr.SNOV_BATCH_KIND: kind,
            Attr.SNOV_BATCH_SIZE: len(items),
        },
    )


def _item_span(
    batch_id: str, kind: str, item: ledger.BatchItem
) -> contextlib.AbstractContextManager[Any]:
    """The span applying one item's result, continuing the trace that queued the item."""
    return continued(
        SpanName.snov_apply(kind),
        [item.trace],
        {Attr.SNOV_BATCH_ID: batch_id, Attr.SNOV_BATCH_KIND: kind},
    )
