"""Profile checks through ch-gateway: requesting them, and applying the answers.

- ``request_due_checks``: filing signals whose grace period passed without a profile event
  settling them become one high-priority ``GatewayRequest`` per company, at most once per
  ``recheck_interval`` — never one per event.
- ``handle_recheck``: a ``CompanyRecheckRequested`` (after a stream gap) becomes a gateway
  request at the priority it names.
- ``handle_profile_response``: a company profile fetched by the gateway is an observation like
  any other (newer-or-equal wins); a failed fetch for a Gazette notice enters the strike-off on
  the notice's word.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import asyncpg
import msgspec

from leadpipe_bus import Delivery
from leadpipe_contracts import derive_id, utcnow
from leadpipe_contracts.companies import (
    CompanyObserved,
    CompanyProfile,
    CompanyRecheckRequested,
    Source,
    StrikeOffEntered,
    StrikeOffKind,
    StrikeOffLeft,
)
from leadpipe_contracts.gateway import (
    GatewayRequest,
    GatewayResponse,
    Priority,
    RequestKind,
    ResponseStatus,
)
from leadpipe_db import Database, inbox
from leadpipe_runtime import OutboxWriter
from stream_ingest.adapters import repository as repo
from stream_ingest.envelope import PROFILE_DECODER
from stream_ingest.ingest import StateLock
from stream_ingest.profiles import profile_from_view
from stream_ingest.statuses import STRIKE_OFF_DETAIL
from stream_ingest.transitions import Observation, observe

log = logging.getLogger(__name__)

SERVICE = "stream-ingest"


class ProfileChecks:
    """Everything about fetching profiles through the gateway."""

    def __init__(
        self,
        db: Database,
        outbox: OutboxWriter,
        *,
        recheck_interval: dt.timedelta,
        lock: StateLock | None = None,
    ) -> None:
        self._db = db
        self._lock = lock or StateLock()
        self._outbox = outbox
        self._interval = recheck_interval
        self.requested = 0

    async def request_due_checks(self, now: dt.datetime | None = None) -> int:
        """Send the gateway requests that are due; returns how many were sent."""
        now = now or utcnow()
        sent = 0
        async with self._db.transaction() as connection:
            rows = await connection.fetch(
                "SELECT s.company_number, s.kind, s.requested_at, s.priority,"
                " coalesce(c.strike_off, false) AS strike_off"
                " FROM signals s LEFT JOIN companies c USING (company_number)"
                " WHERE s.check_due_at <= $1 ORDER BY s.check_due_at"
                " LIMIT 500 FOR UPDATE OF s SKIP LOCKED",
                now,
            )
            for row in rows:
                number = row["company_number"]
                recent = row["requested_at"] is not None and now - row["requested_at"] < (
                    self._interval
                )
                if row["strike_off"] or recent:
                    await connection.execute(
                        "UPDATE signals SET check_due_at = NULL WHERE company_number = $1", number
                    )
                    continue
                priority = Priority(row["priority"] or Priority.HIGH.value)
                request_id = await self._request(connection, number, priority, now)
                await connection.execute(
                    "UPDATE signals SET check_due_at = NULL, requested_at = $2, request_id = $3"
                    " WHERE company_number = $1",
                    number,
                    now,
                    request_id,
                )
                sent += 1
        self.requested += sent
        return sent

    async def _request(
        self,
        connection: asyncpg.Connection,
        number: str,
        priority: Priority,
        now: dt.datetime,
        cause: str | None = None,
    ) -> str:
        request_id = f"{SERVICE}:{derive_id(number, priority, now.isoformat(), cause)}"
        await self._outbox.add(
            connection,
            GatewayRequest(
                event_id=request_id,
                occurred_at=now,
                causation_id=cause,
                request_id=request_id,
                kind=RequestKind.COMPANY_PROFILE,
                priority=priority,
                requester=SERVICE,
                company_number=number,
            ),
        )
        return request_id

    async def handle_recheck(self, event: CompanyRecheckRequested, delivery: Delivery) -> None:
        """Turn a re-check request into a gateway request (once per event)."""
        async with self._db.transaction() as connection:
            if not await inbox.claim(connection, "stream-ingest-rechecks", event.event_id):
                return
            now = utcnow()
            request_id = f"{SERVICE}:{derive_id('recheck', event.event_id)}"
            await self._outbox.add(
                connection,
                GatewayRequest(
                    event_id=request_id,
                    occurred_at=now,
                    causation_id=event.event_id,
                    correlation_id=event.correlation_id or event.event_id,
                    request_id=request_id,
                    kind=RequestKind.COMPANY_PROFILE,
                    priority=Priority(event.priority),
                    requester=SERVICE,
                    company_number=event.company_number,
                ),
            )
            await connection.execute(
                "INSERT INTO signals (company_number, signal, observed_at, requested_at,"
                " request_id, priority) VALUES ($1, 'recheck', $2, $2, $3, $4)"
                " ON CONFLICT (company_number) DO UPDATE SET requested_at = excluded.requested_at,"
                " request_id = excluded.request_id, priority = excluded.priority",
                event.company_number,
                now,
                request_id,
                event.priority,
            )

    async def handle_profile_response(self, event: GatewayResponse, delivery: Delivery) -> None:
        """Apply a fetched company profile (or a failed fetch for a Gazette notice)."""
        if event.kind is not RequestKind.COMPANY_PROFILE or event.company_number is None:
            return
        async with self._lock:
            await self._apply_profile(event)

    async def _apply_profile(self, event: GatewayResponse) -> None:
        assert event.company_number is not None
        async with self._db.transaction() as connection:
            if not await inbox.claim(connection, "stream-ingest-profiles", event.event_id):
                return
            number = event.company_number.upper()
            states = await repo.load_states(connection, [number])
            signals = await repo.load_signals(connection, [number])
            current, signal = states.get(number), signals.get(number)
            ours = signal is not None and signal.request_id == event.request_id
            from_filing = ours and signal is not None and signal.signal == "proposal"
            observed_at = event.fetched_at or event.occurred_at
            kind = StrikeOffKind(signal.kind) if signal is not None and signal.kind else None
            if event.status is ResponseStatus.OK and event.has_body:
                try:
                    view = PROFILE_DECODER.decode(bytes(event.body))
                except msgspec.DecodeError as exc:
                    log.warning("gateway profile undecodable: %s", exc)
                    return
                profile = profile_from_view(view)
            elif event.status is ResponseStatus.FAILED and from_filing and current is None:
                # The gateway could not confirm; the Gazette notice alone is strong evidence.
                profile = CompanyProfile(
                    company_number=number,
                    company_name="",
                    status="active",
                    status_detail=STRIKE_OFF_DETAIL,
                )
            else:
                return
            observation = Observation(
                company_number=number,
                company_name=profile.company_name,
                status=profile.status,
                status_detail=profile.status_detail,
                raw_status=profile.raw_status,
                observed_at=observed_at,
                source=Source.REST,
                source_ref=event.request_id,
                detail_known=True,
                etag=profile.etag,
                kind=kind or StrikeOffKind.UNKNOWN,
            )
            outcome = observe(current, observation)
            state = outcome.state
            if state is None:
                return
            await repo.save_states(connection, [state])
            source = Source.STREAM if ours and signal and signal.priority == "high" else Source.REST
            ref = f"rest:{event.request_id}"
            if outcome.changed and event.status is ResponseStatus.OK:
                await self._outbox.add(
                    connection,
                    CompanyObserved(
                        event_id=ref,
                        occurred_at=observed_at,
                        causation_id=event.event_id,
                        profile=profile,
                        source=Source.REST,
                        source_ref=event.request_id,
                        observed_at=observed_at,
                    ),
                )
            if outcome.entered:
                await self._outbox.add(
                    connection,
                    StrikeOffEntered(
                        event_id=f"{ref}:entered",
                        occurred_at=observed_at,
                        causation_id=event.event_id,
                        company_number=number,
                        company_name=state.company_name,
                        source=source,
                        signal="filing" if from_filing else "rest",
                        kind=StrikeOffKind(state.strike_off_kind or "unknown"),
                        entered_on=(
                            signal.observed_at if from_filing and signal else observed_at
                        ).date(),
                        observed_at=observed_at,
                    ),
                )
            if outcome.left is not None:
                await self._outbox.add(
                    connection,
                    StrikeOffLeft(
                        event_id=f"{ref}:left",
                        occurred_at=observed_at,
                        causation_id=event.event_id,
                        company_number=number,
                        source=source,
                        reason=outcome.left,
                        observed_at=observed_at,
                    ),
                )
            if signal is not None and ours:
                await repo.save_signals(connection, [dataclasses.replace(signal, signal="checked")])
