"""crm-sync's message handlers: leads into GoHighLevel, strike-off exits, erasure.

Outcomes (the shared runner turns them into acknowledgements):

- a lead that is suppressed, unchanged since its last send, older than a publication of it
  already applied, or sent now → return (ack);
- GoHighLevel refuses a lead (400/422) → recorded against that lead (row + ``ContactSyncFailed``)
  and acknowledged. Not a ``PermanentError``: the refusal concerns the lead's data, not the
  message, so it belongs with the lead where the read model and operators see it, and a later
  ``ContactFound`` with different data (or a replay) tries again; dead-lettering it would make a
  data-quality verdict look like a processing fault and need a manual ``dlq retry``;
- GoHighLevel unavailable (5xx / transport after the client's own tries) → ``TransientError``
  (the broker's retry schedule);
- 429 and 401/403 never reach the handlers: the client holds the call (see ``adapters.ghl``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable

from crm_sync.adapters.ghl import GhlNotFound, GhlRejected, GhlUnavailable
from crm_sync.domain import (
    company_has_left,
    contact_person_keys,
    desired_tags,
    erasure_keys,
    managed_tags,
    map_contact,
    payload_hash,
    superseded,
    tag_changes,
)
from crm_sync.fields import FieldResolver
from crm_sync.ports import ContactRow, CrmApi, ErasureRaced, Store
from crm_sync.settings import LeftAction, Settings
from leadpipe_bus import Delivery, TransientError
from leadpipe_contracts import Event, derive_id, utcnow
from leadpipe_contracts.companies import StrikeOffLeft
from leadpipe_contracts.crm import ContactSynced, ContactSyncFailed
from leadpipe_contracts.enrichment import ContactFound
from leadpipe_contracts.privacy import (
    PrivacyErasureCompleted,
    PrivacyErasureRequested,
    PrivacySuppressionLiftCompleted,
    PrivacySuppressionLifted,
)

SERVICE = "crm-sync"
log = logging.getLogger(__name__)


class KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it.

    crm-sync locks per company: two deliveries of the same lead (a duplicate and a replay arriving
    together) are handled one after the other, so the second sees the first's hash and sends
    nothing; and a strike-off exit waits for a sync of the same company in flight, so it sees the
    stored contact (or the sync sees the exit) instead of both missing each other.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: collections.Counter[str] = collections.Counter()

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the lock of ``key``."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if self._users[key] <= 0:
                del self._users[key]
                self._locks.pop(key, None)


def _chain(event: Event) -> dict[str, str]:
    return {
        "correlation_id": event.correlation_id or event.event_id,
        "causation_id": event.event_id,
    }


class CrmSync:
    """The handlers, with their dependencies.

    Args:
        settings: Service settings (tags, strike-off-left action, location, source).
        api: GoHighLevel.
        store: State and outbox.
        fields: Custom field ids.
        privacy_consumer: Durable name of the privacy consumer (for its inbox).
        lifts_consumer: Durable name of the suppression-lift consumer (for its inbox).
    """

    def __init__(
        self,
        settings: Settings,
        api: CrmApi,
        store: Store,
        fields: FieldResolver,
        *,
        privacy_consumer: str,
        lifts_consumer: str = "crm-sync-privacy-lifts",
    ) -> None:
        self._settings = settings
        self._api = api
        self._store = store
        self._fields = fields
        self._privacy_consumer = privacy_consumer
        self._lifts_consumer = lifts_consumer
        self._locks = KeyedLocks()
        self._managed = managed_tags(settings.base_tags, settings.strike_off_left_tag)

    def _desired(self, tags: Iterable[str], company_left: bool) -> frozenset[str]:
        return desired_tags(
            tags,
            company_left=company_left,
            action=self._settings.strike_off_left_action,
            base_tags=self._settings.base_tags,
            left_tag=self._settings.strike_off_left_tag,
        )

    async def _apply_tags(
        self, contact_id: str, current: Iterable[str], desired: Iterable[str]
    ) -> tuple[str, ...]:
        add, remove = tag_changes(current, desired, self._managed)
        try:
            if add:
                await self._api.add_tags(contact_id, add)
            if remove:
                await self._api.remove_tags(contact_id, remove)
        except GhlNotFound as exc:
            raise TransientError(f"contact {contact_id} vanished while tagging") from exc
        except GhlUnavailable as exc:
            raise TransientError(str(exc)) from exc
        return tuple(sorted(desired))

    # --- leads -----------------------------------------------------------------------------------

    async def contact_found(self, event: ContactFound, delivery: Delivery) -> None:
        """Create or update the lead's contact in GoHighLevel, unless unchanged or suppressed."""
        keys = contact_person_keys(event)
        if await self._store.suppressed(keys):
            log.info("lead suppressed; not synced", extra={"contact_key": event.contact_key})
            return
        mapped = map_contact(
            event,
            location_id=self._settings.ghl_location_id,
            fields=await self._fields.ids(),
            base_tags=self._settings.base_tags,
            source=self._settings.contact_source,
        )
        digest = payload_hash(mapped.body, mapped.tags)
        company = event.company
        async with self._locks.hold(company.company_number):
            previous = await self._store.contact(event.contact_key)
            if previous is not None and superseded(
                event.occurred_at, event.event_id, previous.lead_at, previous.lead_event
            ):
                log.info(
                    "an older publication of the lead; not synced",
                    extra={"contact_key": event.contact_key},
                )
                return
            if previous and previous.crm_contact_id and previous.payload_hash == digest:
                # Still the newest publication: an older one redelivered later must not apply.
                await self._store.record_newest(
                    event.contact_key, event.occurred_at, event.event_id
                )
                return
            row = ContactRow(
                contact_key=event.contact_key,
                company_number=company.company_number,
                crm_contact_id=None,
                payload_hash=None,
                tags=(),
                person_keys=tuple(sorted(keys)),
                entered_on=company.strike_off_entered_on,
                lead_at=event.occurred_at,
                lead_event=event.event_id,
            )
            try:
                result = await self._api.upsert_contact(mapped.body)
            except GhlRejected as exc:
                await self._record_rejection(event, row, digest, exc)
                return
            except GhlUnavailable as exc:
                raise TransientError(str(exc)) from exc
            left_at = await self._store.company_left_at(company.company_number)
            desired = self._desired(
                mapped.tags, company_has_left(left_at, company.strike_off_entered_on)
            )
            known = previous is not None and previous.crm_contact_id == result.contact_id
            current = previous.tags if previous is not None and known else ()
            try:
                tags = await self._apply_tags(result.contact_id, current, desired)
            except GhlRejected as exc:
                await self._record_rejection(event, row, digest, exc)
                return
            synced = ContactSynced(
                event_id=derive_id(SERVICE, "synced", event.contact_key, digest),
                occurred_at=utcnow(),
                contact_key=event.contact_key,
                company_number=company.company_number,
                crm_contact_id=result.contact_id,
                created=result.created,
                payload_hash=digest,
                **_chain(event),
            )
            stored = ContactRow(
                contact_key=row.contact_key,
                company_number=row.company_number,
                crm_contact_id=result.contact_id,
                payload_hash=digest,
                tags=tags,
                person_keys=row.person_keys,
                entered_on=row.entered_on,
                lead_at=row.lead_at,
                lead_event=row.lead_event,
            )
            if not await self._store.record_synced(stored, synced):
                # An erasure of this person committed while the upsert was in flight.
                log.info("lead suppressed during sync; deleting it again")
                await self._delete(result.contact_id)

    async def _record_rejection(
        self, event: ContactFound, row: ContactRow, digest: str, error: GhlRejected
    ) -> None:
        reason = "; ".join(error.messages)
        log.warning(
            "GoHighLevel refused a lead",
            extra={"contact_key": event.contact_key, "status": error.status, "reason": reason},
        )
        failed = ContactSyncFailed(
            event_id=derive_id(SERVICE, "failed", event.contact_key, digest, error.status),
            occurred_at=utcnow(),
            contact_key=event.contact_key,
            company_number=event.company.company_number,
            status_code=error.status,
            reason=reason,
            **_chain(event),
        )
        await self._store.record_failed(
            row, failed_hash=digest, status=error.status, reason=reason, event=failed
        )

    async def _delete(self, contact_id: str) -> None:
        try:
            await self._api.delete_contact(contact_id)
        except GhlUnavailable as exc:
            raise TransientError(str(exc)) from exc

    # --- strike-off exits ------------------------------------------------------------------------

    async def strike_off_left(self, event: StrikeOffLeft, delivery: Delivery) -> None:
        """Mark (or unmark) the company's contacts as configured; later leads follow suit."""
        async with self._locks.hold(event.company_number):
            await self._store.record_left(
                event.company_number, event.observed_at, event.reason.value
            )
            if self._settings.strike_off_left_action is LeftAction.NONE:
                return
            for row in await self._store.contacts_of_company(event.company_number):
                if row.crm_contact_id is None:
                    continue
                if not company_has_left(event.observed_at, row.entered_on):
                    continue
                desired = self._desired(row.tags, company_left=True)
                if set(desired) == set(row.tags):
                    continue
                try:
                    tags = await self._apply_tags(row.crm_contact_id, row.tags, desired)
                except GhlRejected as exc:
                    log.warning(
                        "GoHighLevel refused a tag change",
                        extra={"contact_key": row.contact_key, "reason": str(exc)},
                    )
                    continue
                await self._store.update_tags(row.contact_key, tags)

    # --- erasure ---------------------------------------------------------------------------------

    async def erasure_requested(self, event: PrivacyErasureRequested, delivery: Delivery) -> None:
        """Delete the person's contacts in GoHighLevel, suppress them, report completion.

        The erasure queues no event naming the contacts it deleted (a ``ContactDeleted`` would
        carry the contact key, company number and officer id, into the CRM stream and this
        outbox): the completion's count is the record.
        """
        keys = erasure_keys(event)
        for _ in range(5):
            rows = await self._store.matching(keys)
            for row in rows:
                if row.crm_contact_id is not None:
                    await self._delete(row.crm_contact_id)
            completed = PrivacyErasureCompleted(
                event_id=derive_id(SERVICE, "erasure-completed", event.request_id),
                occurred_at=utcnow(),
                request_id=event.request_id,
                service=SERVICE,
                records_erased=len(rows),
                **_chain(event),
            )
            try:
                await self._store.record_erasure(
                    consumer=self._privacy_consumer,
                    event_id=event.event_id,
                    request_id=event.request_id,
                    person_keys=keys,
                    erased=[row.contact_key for row in rows],
                    events=[completed],
                )
            except ErasureRaced:
                continue
            log.info("erasure done", extra={"request_id": event.request_id, "erased": len(rows)})
            return
        raise TransientError("erasure kept racing with syncs of the same person")

    async def suppression_lifted(self, event: PrivacySuppressionLifted, delivery: Delivery) -> None:
        """Stop suppressing the person of an erasure request; their next lead is synced."""

        def completion(removed: int) -> PrivacySuppressionLiftCompleted:
            return PrivacySuppressionLiftCompleted(
                event_id=derive_id(SERVICE, "lift-completed", event.request_id),
                occurred_at=utcnow(),
                request_id=event.request_id,
                service=SERVICE,
                suppressions_removed=removed,
                **_chain(event),
            )

        await self._store.record_lift(
            consumer=self._lifts_consumer,
            event_id=event.event_id,
            request_id=event.request_id,
            completion=completion,
        )
