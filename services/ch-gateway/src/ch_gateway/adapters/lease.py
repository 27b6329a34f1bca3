"""The leader lease and the persisted quota state, on one dedicated Postgres session.

Exactly one gateway may spend the key's quota. The leader holds a session-level advisory lock
on a connection of its own; Postgres releases it when that session ends (process killed,
connection lost), and a standby polling ``pg_try_advisory_lock`` takes over.

Every upstream call is written to ``call_log`` *over the lease session, before the call is
made*. A write that succeeds proves the session — and so the lock — is still alive; a write
that fails means the lease may be gone, and no call is made. A new leader therefore always sees
every call its predecessor made, and two gateways never spend the same window twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Protocol

import asyncpg

log = logging.getLogger(__name__)
_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


class LeaseLost(Exception):
    """The lease session failed; this instance must stop calling Companies House."""


class CallLog(Protocol):
    """Where the limiter's log and the breaker's lock-out persist (the lease session)."""

    async def record(self, times: list[float]) -> None:
        """Persist calls before they are made.

        Raises:
            LeaseLost: The write failed; the calls must not be made.
        """
        ...

    async def load(self, since: float) -> list[float]:
        """Calls made after ``since``."""
        ...

    async def save_breaker(self, open_until: float, reason: str) -> None:
        """Persist a lock-out (429/403)."""
        ...

    async def load_breaker(self) -> tuple[float, str] | None:
        """The persisted lock-out, if any."""
        ...


def lock_key(schema: str) -> int:
    """A 64-bit advisory lock id unique to the schema (so test namespaces never collide)."""
    digest = hashlib.blake2b(f"{schema}:ch-gateway-leader".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PostgresLease:
    """``CallLog`` plus leader election on one asyncpg connection.

    Args:
        url: Postgres URL.
        schema: The gateway's schema.
        timeout: Seconds any statement on the lease session may take.
    """

    def __init__(self, url: str, schema: str, *, timeout: float = 5.0) -> None:
        self._url = url
        self._schema = schema
        self._key = lock_key(schema)
        self._timeout = timeout
        self._connection: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self.held = False

    async def try_acquire(self) -> bool:
        """Take the lease if nobody holds it; True when this instance is now the leader."""
        async with self._lock:
            try:
                if self._connection is None or self._connection.is_closed():
                    self._connection = await asyncpg.connect(
                        self._url,
                        timeout=self._timeout,
                        server_settings={
                            "search_path": f'"{self._schema}"',
                            "application_name": "ch-gateway-lease",
                        },
                    )
                got = await self._connection.fetchval(
                    "SELECT pg_try_advisory_lock($1)", self._key, timeout=self._timeout
                )
            except _ERRORS as exc:
                log.warning("lease attempt failed: %r", exc)
                await self._drop()
                return False
            self.held = bool(got)
            return self.held

    async def confirm(self) -> bool:
        """Whether the lease session still answers (the leader's periodic check)."""
        async with self._lock:
            if not self.held or self._connection is None:
                return False
            try:
                await self._connection.fetchval("SELECT 1", timeout=self._timeout)
            except _ERRORS as exc:
                log.error("leader lease lost: %r", exc)
                await self._drop()
                return False
            return True

    async def record(self, times: list[float]) -> None:
        """See ``CallLog.record``."""
        async with self._lock:
            if not self.held or self._connection is None:
                raise LeaseLost("not the leader")
            try:
                await self._connection.execute(
                    "INSERT INTO call_log (at) SELECT unnest($1::float8[])",
                    times,
                    timeout=self._timeout,
                )
            except _ERRORS as exc:
                await self._drop()
                raise LeaseLost(f"call log write failed: {exc!r}") from exc

    async def load(self, since: float) -> list[float]:
        """See ``CallLog.load``."""
        rows = await self._fetch("SELECT at FROM call_log WHERE at > $1 ORDER BY at", since)
        return [float(row["at"]) for row in rows]

    async def prune(self, before: float) -> None:
        """Delete calls too old to matter to any window."""
        await self._fetch("DELETE FROM call_log WHERE at < $1 RETURNING 0", before)

    async def save_breaker(self, open_until: float, reason: str) -> None:
        """See ``CallLog.save_breaker``."""
        await self._fetch(
            "INSERT INTO breaker (id, open_until, reason) VALUES (1, $1, $2) "
            "ON CONFLICT (id) DO UPDATE SET open_until = GREATEST(breaker.open_until, "
            "EXCLUDED.open_until), reason = EXCLUDED.reason, updated_at = now() RETURNING 0",
            open_until,
            reason,
        )

    async def load_breaker(self) -> tuple[float, str] | None:
        """See ``CallLog.load_breaker``."""
        rows = await self._fetch("SELECT open_until, reason FROM breaker WHERE id = 1")
        return (float(rows[0]["open_until"]), str(rows[0]["reason"])) if rows else None

    async def _fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        async with self._lock:
            if not self.held or self._connection is None:
                raise LeaseLost("not the leader")
            try:
                rows: list[asyncpg.Record] = await self._connection.fetch(
                    sql, *args, timeout=self._timeout
                )
            except _ERRORS as exc:
                await self._drop()
                raise LeaseLost(f"lease session failed: {exc!r}") from exc
            return rows

    async def release(self) -> None:
        """Give the lease up (graceful stop): closing the session releases the lock."""
        async with self._lock:
            await self._drop()

    async def _drop(self) -> None:
        self.held = False
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            try:
                await asyncio.wait_for(connection.close(), timeout=2)
            except _ERRORS:
                connection.terminate()
