"""Postgres state of credits and batches: the ledger per billing period and call type, the daily
charges, the pause state and the Snov.io batches in flight.

Call types are the batch kinds: ``domain`` (company-domain-by-name) and ``emails``
(emails-by-domain-by-name).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import asyncpg
import msgspec

from snov_enricher.credits import PauseReason, Usage, day_of, period_of

CALL_TYPES = ("domain", "emails")


@dataclasses.dataclass(frozen=True)
class PauseState:
    """The stored pause state and last known balance."""

    paused: bool
    reason: PauseReason | None
    paused_period: str | None
    paused_day: dt.date | None
    balance: float | None
    balance_checked_at: dt.datetime | None


async def lock_state(connection: asyncpg.Connection) -> PauseState:
    """Read the pause state, locking it so that budget decisions are serialised."""
    row = await connection.fetchrow("SELECT * FROM credit_state WHERE id = 1 FOR UPDATE")
    return PauseState(
        paused=row["paused"],
        reason=PauseReason(row["reason"]) if row["reason"] else None,
        paused_period=row["paused_period"],
        paused_day=row["paused_day"],
        balance=row["balance"],
        balance_checked_at=row["balance_checked_at"],
    )


async def usage(connection: asyncpg.Connection, now: dt.datetime) -> Usage:
    """Credits charged and reserved this period, charged today, and the balance."""
    period = await connection.fetchrow(
        "SELECT coalesce(sum(charged), 0) AS charged FROM credit_ledger WHERE period = $1",
        period_of(now),
    )
    reserved = await connection.fetchval(
        "SELECT coalesce(sum(reserved), 0) FROM batches WHERE state IN ('starting', 'running')"
    )
    today = await connection.fetchval(
        "SELECT coalesce(sum(charged), 0) FROM credit_days WHERE day = $1", day_of(now)
    )
    balance = await connection.fetchval("SELECT balance FROM credit_state WHERE id = 1")
    return Usage(
        charged=int(period["charged"]),
        reserved=int(reserved),
        charged_today=int(today),
        balance=balance,
    )


async def pause(connection: asyncpg.Connection, reason: PauseReason, now: dt.datetime) -> None:
    """Pause enrichment (work stays pending)."""
    await connection.execute(
        "UPDATE credit_state SET paused = true, reason = $1, paused_period = $2, paused_day = $3,"
        " paused_at = $4 WHERE id = 1",
        reason.value,
        period_of(now),
        day_of(now),
        now,
    )


async def resume(connection: asyncpg.Connection) -> None:
    """Lift the pause."""
    await connection.execute(
        "UPDATE credit_state SET paused = false, reason = NULL, paused_period = NULL,"
        " paused_day = NULL, paused_at = NULL WHERE id = 1"
    )


async def record_balance(connection: asyncpg.Connection, balance: float, now: dt.datetime) -> None:
    """Store a balance read from Snov.io."""
    await connection.execute(
        "UPDATE credit_state SET balance = $1, balance_checked_at = $2 WHERE id = 1",
        balance,
        now,
    )


async def reserve(connection: asyncpg.Connection, kind: str, period: str, credits: int) -> None:
    """Add a batch's reservation to the ledger."""
    await connection.execute(
        "INSERT INTO credit_ledger (period, call_type, reserved) VALUES ($1, $2, $3)"
        " ON CONFLICT (period, call_type) DO UPDATE"
        " SET reserved = credit_ledger.reserved + EXCLUDED.reserved",
        period,
        kind,
        credits,
    )


async def settle(
    connection: asyncpg.Connection, batch: Any, charged: int, now: dt.datetime
) -> None:
    """Replace a batch's reservation by what was charged (in the period and day it was charged)."""
    await connection.execute(
        "UPDATE credit_ledger SET reserved = greatest(0, reserved - $3)"
        " WHERE period = $1 AND call_type = $2",
        batch["period"],
        batch["kind"],
        batch["reserved"],
    )
    if charged:
        await connection.execute(
            "INSERT INTO credit_ledger (period, call_type, charged) VALUES ($1, $2, $3)"
            " ON CONFLICT (period, call_type) DO UPDATE"
            " SET charged = credit_ledger.charged + EXCLUDED.charged",
            period_of(now),
            batch["kind"],
            charged,
        )
        await connection.execute(
            "INSERT INTO credit_days (day, call_type, charged) VALUES ($1, $2, $3)"
            " ON CONFLICT (day, call_type) DO UPDATE"
            " SET charged = credit_days.charged + EXCLUDED.charged",
            day_of(now),
            batch["kind"],
            charged,
        )
        await connection.execute(
            "UPDATE credit_state SET balance = balance - $1 WHERE id = 1 AND balance IS NOT NULL",
            float(charged),
        )


async def ledger_rows(connection: asyncpg.Connection, period: str) -> dict[str, tuple[int, int]]:
    """``call type -> (reserved, charged)`` for a period."""
    rows = await connection.fetch(
        "SELECT call_type, reserved, charged FROM credit_ledger WHERE period = $1", period
    )
    return {r["call_type"]: (r["reserved"], r["charged"]) for r in rows}


# --- batches ---------------------------------------------------------------------------------


class BatchItem(msgspec.Struct, frozen=True):
    """One item of a batch: its cache key, what was sent for it, and the trace that queued it.

    ``trace`` is a W3C traceparent (None for items stored before traces were kept).
    """

    key: str
    sent: list[str]
    trace: str | None = None


_items_decoder = msgspec.json.Decoder(list[BatchItem])


def batch_items(batch: Any) -> list[BatchItem]:
    """The items of a ``batches`` row."""
    return _items_decoder.decode(batch["items"])


async def create_batch(
    connection: asyncpg.Connection,
    batch_id: str,
    kind: str,
    items: list[BatchItem],
    now: dt.datetime,
) -> None:
    """Record a batch about to be started and reserve one credit per item."""
    period = period_of(now)
    await connection.execute(
        "INSERT INTO batches (batch_id, kind, state, items, period, reserved, created_at)"
        " VALUES ($1, $2, 'starting', $3::jsonb, $4, $5, $6)",
        batch_id,
        kind,
        msgspec.json.encode(items).decode(),
        period,
        len(items),
        now,
    )
    await reserve(connection, kind, period, len(items))


async def mark_started(
    connection: asyncpg.Connection,
    batch_id: str,
    task_hash: str,
    now: dt.datetime,
    poll_at: dt.datetime,
) -> None:
    """The start call returned a task hash: wait for the webhook until ``poll_at``."""
    await connection.execute(
        "UPDATE batches SET state = 'running', task_hash = $2, started_at = $3,"
        " poll_at = least(coalesce(poll_at, $4), $4) WHERE batch_id = $1 AND state = 'starting'",
        batch_id,
        task_hash,
        now,
        poll_at,
    )


async def lock_batch(connection: asyncpg.Connection, batch_id: str) -> Any:
    """The batch row, locked for the transaction (None if unknown)."""
    return await connection.fetchrow(
        "SELECT * FROM batches WHERE batch_id = $1 FOR UPDATE", batch_id
    )


async def due_batches(connection: asyncpg.Connection, now: dt.datetime, limit: int) -> list[Any]:
    """Open batches with a task hash whose result should be fetched now."""
    return list(
        await connection.fetch(
            "SELECT * FROM batches WHERE state IN ('starting', 'running')"
            " AND task_hash IS NOT NULL AND poll_at <= $1 ORDER BY poll_at LIMIT $2",
            now,
            limit,
        )
    )


async def stale_batches(
    connection: asyncpg.Connection,
    *,
    orphaned_before: dt.datetime,
    expired_before: dt.datetime,
) -> list[Any]:
    """Batches to give up: never got a task hash, or never completed, in time."""
    return list(
        await connection.fetch(
            "SELECT * FROM batches WHERE (state = 'starting' AND task_hash IS NULL"
            " AND created_at < $1) OR (state IN ('starting', 'running')"
            " AND task_hash IS NOT NULL AND coalesce(started_at, created_at) < $2)",
            orphaned_before,
            expired_before,
        )
    )


async def close_batch(
    connection: asyncpg.Connection, batch_id: str, state: str, charged: int, now: dt.datetime
) -> None:
    """Give a batch its final state."""
    await connection.execute(
        "UPDATE batches SET state = $2, charged = $3, completed_at = $4 WHERE batch_id = $1",
        batch_id,
        state,
        charged,
        now,
    )


async def release_items(
    connection: asyncpg.Connection, kind: str, batch_id: str, max_attempts: int
) -> None:
    """Return a batch's items to pending (or to failed after too many attempts)."""
    table = "domain_lookups" if kind == "domain" else "email_lookups"
    await connection.execute(
        f"UPDATE {table} SET attempts = attempts + 1, batch_id = NULL,"  # noqa: S608 - fixed names
        " state = CASE WHEN attempts + 1 >= $2 THEN 'failed' ELSE 'pending' END"
        " WHERE batch_id = $1 AND state = 'searching'",
        batch_id,
        max_attempts,
    )


async def requeue_items(connection: asyncpg.Connection, kind: str, batch_id: str) -> None:
    """Return a batch's items to pending without counting an attempt (nothing was spent)."""
    table = "domain_lookups" if kind == "domain" else "email_lookups"
    await connection.execute(
        f"UPDATE {table} SET batch_id = NULL, state = 'pending'"  # noqa: S608 - fixed names
        " WHERE batch_id = $1 AND state = 'searching'",
        batch_id,
    )
