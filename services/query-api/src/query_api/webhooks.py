"""Outbound webhooks: subscriptions to feed events, signed deliveries, retries with backoff.

A dispatcher fans new feed entries out to the active subscriptions that asked for their kind
(one delivery row per subscription and event, so nothing is sent twice even after a rebuild),
then posts due deliveries. Each request carries ``Leadpipe-Signature: t=<unix>,v1=<hex>``, the
HMAC-SHA256 of ``"<t>.<body>"`` under the subscription's secret; receivers should reject
signatures older than a few minutes. A failed delivery is retried with doubling delays until
``max_attempts``, then marked failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from typing import Any

import aiohttp
import asyncpg

log = logging.getLogger(__name__)

EVENTS = ("strike_off.entered", "strike_off.left", "processing.error")
SIGNATURE_HEADER = "Leadpipe-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value of a delivery body."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, tolerance: float = 300.0) -> bool:
    """Check a signature header (what a receiver does); rejects stale timestamps."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def retry_delay(attempts: int, base: float) -> float:
    """Seconds before attempt ``attempts + 1``: doubling from ``base``, at most an hour."""
    return float(min(base * 2 ** max(attempts - 1, 0), 3_600.0))


async def create_subscription(
    pool: asyncpg.Pool, url: str, events: list[str], owner: str
) -> dict[str, Any]:
    """Create a subscription; it receives feed entries from now on. The secret is returned."""
    row = await pool.fetchrow(
        "INSERT INTO webhook_subscriptions (id, url, events, secret, owner, start_seq)"
        " VALUES ($1, $2, $3, $4, $5, (SELECT coalesce(max(seq), 0) FROM feed))"
        " RETURNING id, url, events, secret, owner, active, created_at",
        uuid.uuid4(),
        url,
        sorted(set(events)),
        secrets.token_urlsafe(32),
        owner,
    )
    assert row is not None
    return dict(row)


async def list_subscriptions(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Every subscription with delivery counts (secrets are not listed)."""
    rows = await pool.fetch(
        "SELECT s.id, s.url, s.events, s.owner, s.active, s.created_at,"
        " count(d.id) FILTER (WHERE d.status = 'delivered') AS delivered,"
        " count(d.id) FILTER (WHERE d.status = 'pending') AS pending,"
        " count(d.id) FILTER (WHERE d.status = 'failed') AS failed"
        " FROM webhook_subscriptions s LEFT JOIN webhook_deliveries d ON d.subscription_id = s.id"
        " GROUP BY s.id ORDER BY s.created_at, s.id"
    )
    return [dict(row) for row in rows]


async def delete_subscription(pool: asyncpg.Pool, subscription_id: uuid.UUID) -> bool:
    """Delete a subscription and its deliveries."""
    result: str = await pool.execute(
        "DELETE FROM webhook_subscriptions WHERE id = $1", subscription_id
    )
    return result.endswith(" 1")


async def deliveries(
    pool: asyncpg.Pool, subscription_id: uuid.UUID, limit: int
) -> list[dict[str, Any]]:
    """The newest deliveries of a subscription."""
    rows = await pool.fetch(
        "SELECT id, event_id, kind, status, attempts, last_status, last_error, next_attempt_at,"
        " delivered_at FROM webhook_deliveries WHERE subscription_id = $1"
        " ORDER BY id DESC LIMIT $2",
        subscription_id,
        limit,
    )
    return [dict(row) for row in rows]


class Dispatcher:
    """Fans feed entries out to subscriptions and delivers them.

    Args:
        pool: The service's pool.
        max_attempts: Deliveries tried before a delivery is marked failed.
        timeout: Seconds per HTTP request.
        retry_base: First retry delay in seconds.
        poll_interval: Seconds between rounds when idle.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        max_attempts: int,
        timeout: float,
        retry_base: float,
        poll_interval: float = 0.5,
    ) -> None:
        self._pool = pool
        self._max_attempts = max_attempts
        self._timeout = timeout
        self._retry_base = retry_base
        self._poll_interval = poll_interval

    async def run(self) -> None:
        """Dispatch until cancelled; database outages are waited out."""
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while True:
                try:
                    await self.fan_out()
                    sent = await self.deliver_due(session)
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    log.warning("webhook dispatch failed, will retry: %r", exc)
                    sent = 0
                if not sent:
                    await asyncio.sleep(self._poll_interval)

    async def fan_out(self, batch: int = 500) -> int:
        """Create deliveries for feed entries after the cursor; returns entries examined."""
        async with self._pool.acquire() as connection, connection.transaction():
            cursor = await connection.fetchval(
                "SELECT seq FROM webhook_cursor WHERE name = 'dispatcher' FOR UPDATE"
            )
            if cursor is None:
                await connection.execute(
                    "INSERT INTO webhook_cursor (name, seq) VALUES ('dispatcher', 0)"
                    " ON CONFLICT DO NOTHING"
                )
                cursor = 0
            last = await connection.fetchval(
                "SELECT max(seq) FROM (SELECT seq FROM feed WHERE seq > $1 ORDER BY seq LIMIT $2)"
                " AS page",
                cursor,
                batch,
            )
            if last is None:
                return 0
            await connection.execute(
                "INSERT INTO webhook_deliveries (subscription_id, event_id, kind, payload)"
                " SELECT s.id, f.event_id, f.kind, jsonb_build_object('id', f.event_id,"
                " 'type', f.kind, 'occurred_at', f.occurred_at, 'data', f.payload)"
                " FROM feed f JOIN webhook_subscriptions s"
                " ON s.active AND f.kind = ANY(s.events) AND f.seq > s.start_seq"
                " WHERE f.seq > $1 AND f.seq <= $2"
                " ON CONFLICT (subscription_id, event_id) DO NOTHING",
                cursor,
                last,
            )
            await connection.execute(
                "UPDATE webhook_cursor SET seq = $1 WHERE name = 'dispatcher'", last
            )
            return int(last - cursor)

    async def deliver_due(self, session: aiohttp.ClientSession, batch: int = 50) -> int:
        """Post the deliveries that are due; returns how many were attempted."""
        rows = await self._pool.fetch(
            "SELECT d.id, d.kind, d.payload, d.attempts, s.url, s.secret"
            " FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id"
            " WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND s.active"
            " ORDER BY d.next_attempt_at, d.id LIMIT $1",
            batch,
        )
        await asyncio.gather(*(self._deliver(session, dict(row)) for row in rows))
        return len(rows)

    async def _deliver(self, session: aiohttp.ClientSession, row: dict[str, Any]) -> None:
        body = json.dumps(json.loads(row["payload"]), separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "leadpipe-webhooks/1",
            "Leadpipe-Event": row["kind"],
            "Leadpipe-Delivery": str(row["id"]),
            SIGNATURE_HEADER: sign(row["secret"], int(time.time()), body),
        }
        status: int | None = None
        error: str | None = None
        try:
            async with session.post(row["url"], data=body, headers=headers) as response:
                status = response.status
                with contextlib.suppress(aiohttp.ClientError):
                    await response.read()
            if not 200 <= status < 300:
                error = f"receiver answered {status}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        attempts = row["attempts"] + 1
        if error is None:
            await self._pool.execute(
                "UPDATE webhook_deliveries SET status = 'delivered', attempts = $2,"
                " last_status = $3, last_error = NULL, delivered_at = now() WHERE id = $1",
                row["id"],
                attempts,
                status,
            )
            return
        final = attempts >= self._max_attempts
        await self._pool.execute(
            "UPDATE webhook_deliveries SET status = $2, attempts = $3, last_status = $4,"
            " last_error = $5, next_attempt_at = $6 WHERE id = $1",
            row["id"],
            "failed" if final else "pending",
            attempts,
            status,
            error,
            dt.datetime.now(dt.UTC) + dt.timedelta(seconds=retry_delay(attempts, self._retry_base)),
        )
