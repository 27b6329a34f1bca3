"""crm-sync's state in its own Postgres schema (tables in ``migrations/0001_contacts.sql``).

Suppression must win every race with a sync: a sync records its row holding ``SHARE`` on
``suppressions`` and checks it in the same transaction, while an erasure inserts into it (``ROW
EXCLUSIVE``, which waits for those transactions) and then re-reads the person's leads. Either the
erasure sees the new lead (and is run again to delete it) or the sync sees the suppression (and
deletes what it just created).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from crm_sync.ports import ContactRow, ErasureRaced
from leadpipe_contracts import Event
from leadpipe_db import Database, inbox
from leadpipe_runtime import OutboxWriter
from leadpipe_runtime.privacy import erase_published_events

_COLUMNS = (
    "contact_key, company_number, crm_contact_id, payload_hash, tags, person_keys, entered_on,"
    " lead_at, lead_event"
)


def _row(record: Any) -> ContactRow:
    return ContactRow(
        contact_key=record["contact_key"],
        company_number=record["company_number"],
        crm_contact_id=record["crm_contact_id"],
        payload_hash=record["payload_hash"],
        tags=tuple(record["tags"]),
        person_keys=tuple(record["person_keys"]),
        entered_on=record["entered_on"],
        lead_at=record["lead_at"],
        lead_event=record["lead_event"],
    )


class PostgresStore:
    """The ``Store`` port on asyncpg, writing events through the transactional outbox."""

    def __init__(self, db: Database, outbox: OutboxWriter) -> None:
        self._db = db
        self._outbox = outbox

    async def contact(self, contact_key: str) -> ContactRow | None:
        record = await self._db.pool.fetchrow(
            f"SELECT {_COLUMNS} FROM contacts WHERE contact_key = $1",  # noqa: S608 - constant columns
            contact_key,
        )
        return _row(record) if record is not None else None

    async def suppressed(self, person_keys: frozenset[str]) -> bool:
        return await self._suppressed(self._db.pool, person_keys)

    @staticmethod
    async def _suppressed(
        executor: asyncpg.Pool | asyncpg.Connection, person_keys: frozenset[str]
    ) -> bool:
        if not person_keys:
            return False
        found = await executor.fetchval(
            "SELECT EXISTS (SELECT 1 FROM suppressions WHERE person_key = ANY($1::text[]))",
            sorted(person_keys),
        )
        return bool(found)

    async def company_left_at(self, company_number: str) -> dt.datetime | None:
        value: dt.datetime | None = await self._db.pool.fetchval(
            "SELECT left_at FROM companies_left WHERE company_number = $1", company_number
        )
        return value

    async def record_synced(self, row: ContactRow, event: Event) -> bool:
        async with self._db.transaction() as connection:
            await connection.execute("LOCK TABLE suppressions IN SHARE MODE")
            if await self._suppressed(connection, frozenset(row.person_keys)):
                return False
            await connection.execute(
                """
                INSERT INTO contacts (contact_key, company_number, entered_on, crm_contact_id,
                                      payload_hash, tags, person_keys, status, synced_at,
                                      lead_at, lead_event)
                VALUES ($1, $2, $3, $4, $5, $6, $7, 'synced', now(), $8, $9)
                ON CONFLICT (contact_key) DO UPDATE SET
                    company_number = EXCLUDED.company_number,
                    entered_on = EXCLUDED.entered_on,
                    crm_contact_id = EXCLUDED.crm_contact_id,
                    payload_hash = EXCLUDED.payload_hash,
                    tags = EXCLUDED.tags,
                    person_keys = EXCLUDED.person_keys,
                    lead_at = EXCLUDED.lead_at,
                    lead_event = EXCLUDED.lead_event,
                    status = 'synced',
                    synced_at = now(),
                    failed_hash = NULL, failed_status = NULL, failed_reason = NULL,
                    failed_at = NULL,
                    updated_at = now()
                """,
                row.contact_key,
                row.company_number,
                row.entered_on,
                row.crm_contact_id,
                row.payload_hash,
                list(row.tags),
                list(row.person_keys),
                row.lead_at,
                row.lead_event,
            )
            await self._outbox.add(connection, event)
        return True

    async def record_newest(self, contact_key: str, lead_at: dt.datetime, lead_event: str) -> None:
        await self._db.pool.execute(
            "UPDATE contacts SET lead_at = $2, lead_event = $3, updated_at = now()"
            " WHERE contact_key = $1 AND (lead_at IS NULL"
            ' OR (lead_at, lead_event COLLATE "C") < ($2::timestamptz, $3::text COLLATE "C"))',
            contact_key,
            lead_at,
            lead_event,
        )

    async def record_failed(
        self,
        row: ContactRow,
        *,
        failed_hash: str,
        status: int | None,
        reason: str,
        event: Event,
    ) -> None:
        async with self._db.transaction() as connection:
            await connection.execute(
                """
                INSERT INTO contacts (contact_key, company_number, entered_on, person_keys,
                                      status, failed_hash, failed_status, failed_reason, failed_at,
                                      lead_at, lead_event)
                VALUES ($1, $2, $3, $4, 'failed', $5, $6, $7, now(), $8, $9)
                ON CONFLICT (contact_key) DO UPDATE SET
                    person_keys = EXCLUDED.person_keys,
                    lead_at = EXCLUDED.lead_at,
                    lead_event = EXCLUDED.lead_event,
                    status = 'failed',
                    failed_hash = EXCLUDED.failed_hash,
                    failed_status = EXCLUDED.failed_status,
                    failed_reason = EXCLUDED.failed_reason,
                    failed_at = now(),
                    updated_at = now()
                """,
                row.contact_key,
                row.company_number,
                row.entered_on,
                list(row.person_keys),
                failed_hash,
                status,
                reason,
                row.lead_at,
                row.lead_event,
            )
            await self._outbox.add(connection, event)

    async def record_left(self, company_number: str, left_at: dt.datetime, reason: str) -> None:
        await self._db.pool.execute(
            """
            INSERT INTO companies_left (company_number, left_at, reason) VALUES ($1, $2, $3)
            ON CONFLICT (company_number) DO UPDATE
                SET left_at = EXCLUDED.left_at, reason = EXCLUDED.reason
                WHERE companies_left.left_at < EXCLUDED.left_at
            """,
            company_number,
            left_at,
            reason,
        )

    async def contacts_of_company(self, company_number: str) -> list[ContactRow]:
        records = await self._db.pool.fetch(
            f"SELECT {_COLUMNS} FROM contacts"  # noqa: S608 - constant columns
            " WHERE company_number = $1 AND crm_contact_id IS NOT NULL ORDER BY contact_key",
            company_number,
        )
        return [_row(record) for record in records]

    async def update_tags(self, contact_key: str, tags: tuple[str, ...]) -> None:
        await self._db.pool.execute(
            "UPDATE contacts SET tags = $2, updated_at = now() WHERE contact_key = $1",
            contact_key,
            list(tags),
        )

    async def matching(self, person_keys: frozenset[str]) -> list[ContactRow]:
        if not person_keys:
            return []
        records = await self._db.pool.fetch(
            f"SELECT {_COLUMNS} FROM contacts"  # noqa: S608 - constant columns
            " WHERE person_keys && $1::text[] ORDER BY contact_key",
            sorted(person_keys),
        )
        return [_row(record) for record in records]

    async def record_erasure(
        self,
        *,
        consumer: str,
        event_id: str,
        request_id: str,
        person_keys: frozenset[str],
        erased: Sequence[str],
        events: Sequence[Event],
    ) -> None:
        async with self._db.transaction() as connection:
            if not await inbox.claim(connection, consumer, event_id):
                return
            await connection.executemany(
                "INSERT INTO suppressions (person_key, request_id) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING",
                [(key, request_id) for key in sorted(person_keys)],
            )
            current = await connection.fetch(
                "SELECT contact_key, crm_contact_id FROM contacts WHERE person_keys && $1::text[]",
                sorted(person_keys),
            )
            late = {r["contact_key"] for r in current if r["crm_contact_id"]} - set(erased)
            if late:
                raise ErasureRaced(f"{len(late)} contact(s) stored while erasing")
            await connection.execute(
                "DELETE FROM contacts WHERE person_keys && $1::text[]", sorted(person_keys)
            )
            # Published ContactSynced rows name the lead's contact key (company and officer id).
            await erase_published_events(connection, erased)
            for event in events:
                await self._outbox.add(connection, event)

    async def record_lift(
        self,
        *,
        consumer: str,
        event_id: str,
        request_id: str,
        completion: Callable[[int], Event],
    ) -> None:
        async with self._db.transaction() as connection:
            if not await inbox.claim(connection, consumer, event_id):
                return
            status: str = await connection.execute(
                "DELETE FROM suppressions WHERE request_id = $1", request_id
            )
            await self._outbox.add(connection, completion(int(status.split()[-1])))
