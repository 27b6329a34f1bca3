"""The retention job: personal data of companies that left strike-off long ago is purged.

A company that left strike-off more than the retention period ago (default 90 days) loses its
officer rows; the company row stays (no personal data) so the purge is not repeated, and an
``OfficersPurged`` event tells every other service what was deleted.
"""

from __future__ import annotations

import datetime as dt
import logging

from leadpipe_contracts import derive_id
from leadpipe_contracts.officers import OfficersPurged
from leadpipe_db import Database
from leadpipe_runtime import OutboxWriter

log = logging.getLogger(__name__)
BATCH = 500


async def purge_expired(
    db: Database, outbox: OutboxWriter, now: dt.datetime, retention: dt.timedelta
) -> list[OfficersPurged]:
    """Purge every company whose strike-off ended before ``now - retention``.

    Returns:
        The events published (one per batch of up to 500 companies that had officers).
    """
    published: list[OfficersPurged] = []
    while True:
        async with db.transaction() as connection:
            rows = await connection.fetch(
                "SELECT company_number FROM companies"
                " WHERE NOT in_strike_off AND purged_at IS NULL AND left_at < $1"
                " ORDER BY left_at, company_number LIMIT $2 FOR UPDATE SKIP LOCKED",
                now - retention,
                BATCH,
            )
            if not rows:
                return published
            numbers = [row["company_number"] for row in rows]
            deleted = await connection.fetch(
                "DELETE FROM officers WHERE company_number = ANY($1::text[])"
                " RETURNING company_number, officer_id",
                numbers,
            )
            await connection.execute(
                "UPDATE companies SET purged_at = $2, officers_fetched_at = NULL,"
                " officers_etag = NULL, fetched_profile_etag = NULL, officers_total = NULL"
                " WHERE company_number = ANY($1::text[])",
                numbers,
                now,
            )
            purged = sorted({row["company_number"] for row in deleted})
            if purged:
                event = OfficersPurged(
                    event_id=derive_id("officers.purged", *purged),
                    occurred_at=now,
                    company_numbers=tuple(purged),
                    officer_ids=tuple(
                        sorted({r["officer_id"] for r in deleted if r["officer_id"]})
                    ),
                )
                await outbox.add(connection, event)
                published.append(event)
                log.info(
                    "officers purged",
                    extra={"companies": len(purged), "officers": len(deleted)},
                )
