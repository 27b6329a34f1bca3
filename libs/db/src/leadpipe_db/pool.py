"""One asyncpg pool per service, confined to the service's own schema."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import asyncpg

from leadpipe_db.migrate import migrate, quote_ident

T = TypeVar("T")
log = logging.getLogger(__name__)

# Errors after which the same transaction may succeed if simply run again.
RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock


class Database:
    """A connection pool whose sessions see the service schema first on their search path.

    Args:
        url: Postgres URL.
        schema: The schema this service owns (e.g. ``officer_fetcher``).
        application_name: Shown in ``pg_stat_activity``.
    """

    def __init__(
        self,
        url: str,
        schema: str,
        *,
        application_name: str = "leadpipe",
        min_size: int = 1,
        max_size: int = 10,
    ) -> None:
        self.url = url
        self.schema = schema
        self._application_name = application_name
        self._min_size = min_size
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        """The open pool.

        Raises:
            RuntimeError: ``open`` has not been called.
        """
        if self._pool is None:
            raise RuntimeError("database pool is not open")
        return self._pool

    async def open(self, *, timeout: float | None = None) -> None:
        """Open the pool, waiting for Postgres to accept connections (for ever by default)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        delay = 0.2
        while True:
            try:
                self._pool = await asyncpg.create_pool(
                    self.url,
                    min_size=self._min_size,
                    max_size=self._max_size,
                    command_timeout=60,
                    server_settings={
                        "search_path": f"{quote_ident(self.schema)}, public",
                        "application_name": self._application_name,
                    },
                )
                return
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                if deadline is not None and loop.time() >= deadline:
                    raise
                log.warning("postgres not reachable yet (%s); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def close(self) -> None:
        """Close the pool, waiting briefly for connections in use."""
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await asyncio.wait_for(pool.close(), timeout=10)
            except TimeoutError:
                pool.terminate()

    async def migrate(self, packages: list[str]) -> list[str]:
        """Apply the core and the given migration sets to this schema."""
        async with self.pool.acquire() as connection:
            return await migrate(connection, self.schema, packages)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection inside a transaction, committed on success, rolled back on error."""
        async with self.pool.acquire() as connection, connection.transaction():
            yield connection

    async def run_in_transaction(
        self, work: Callable[[asyncpg.Connection], Awaitable[T]], *, attempts: int = 5
    ) -> T:
        """Run ``work`` in a transaction; re-run it after a serialization failure or deadlock."""
        for attempt in range(1, attempts + 1):
            try:
                async with self.transaction() as connection:
                    return await work(connection)
            except asyncpg.PostgresError as exc:
                retryable = getattr(exc, "sqlstate", None) in RETRYABLE_SQLSTATES
                if not retryable or attempt == attempts:
                    raise
                await asyncio.sleep(0.01 * 2**attempt)
        raise AssertionError("unreachable")

    async def ping(self, timeout: float = 2.0) -> bool:
        """Whether a trivial query succeeds within ``timeout`` (for readiness)."""
        if self._pool is None:
            return False
        try:
            async with asyncio.timeout(timeout):
                return bool(await self._pool.fetchval("SELECT 1"))
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return False
