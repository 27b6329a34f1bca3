"""State query-api owns itself: users, API keys, the audit log, saved searches, webhooks."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg

from leadpipe_db import Database
from query_api.auth import Role, hash_secret, new_api_key


class AccessStore:
    """Reads and writes of the access tables (the pool's search path is the service schema)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def _pool(self) -> asyncpg.Pool:
        return self._db.pool

    async def find_key(self, key_id: str) -> dict[str, Any] | None:
        """An unrevoked API key's row by id."""
        row = await self._pool.fetchrow(
            "SELECT secret_hash, role, owner, rate_limit_per_minute FROM api_keys"
            " WHERE key_id = $1 AND revoked_at IS NULL",
            key_id,
        )
        return dict(row) if row else None

    async def find_user(self, username: str) -> dict[str, Any] | None:
        """An enabled user's row by name."""
        row = await self._pool.fetchrow(
            "SELECT password_hash, role FROM users WHERE username = $1 AND NOT disabled", username
        )
        return dict(row) if row else None

    async def add_user(self, username: str, password: str, role: Role) -> None:
        """Create a user, or reset the password and role of an existing one."""
        await self._pool.execute(
            "INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3)"
            " ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash,"
            " role = EXCLUDED.role, disabled = false",
            username,
            hash_secret(password),
            str(role),
        )

    async def create_key(
        self, name: str, role: Role, *, owner: str | None = None, rate_limit: int | None = None
    ) -> tuple[str, str]:
        """Create an API key; returns ``(key id, full key)`` — the key is never stored."""
        key_id, secret, full = new_api_key()
        await self._pool.execute(
            "INSERT INTO api_keys (key_id, secret_hash, name, role, owner, rate_limit_per_minute)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            key_id,
            hash_secret(secret),
            name,
            str(role),
            owner,
            rate_limit,
        )
        return key_id, full

    async def revoke_key(self, key_id: str) -> bool:
        """Revoke a key; False when no such active key exists."""
        result: str = await self._pool.execute(
            "UPDATE api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL",
            key_id,
        )
        return result.endswith(" 1")

    async def list_keys(self) -> list[dict[str, Any]]:
        """Every key's metadata (never its hash)."""
        rows = await self._pool.fetch(
            "SELECT key_id, name, role, owner, rate_limit_per_minute, created_at, revoked_at"
            " FROM api_keys ORDER BY created_at, key_id"
        )
        return [dict(row) for row in rows]

    async def audit(
        self,
        *,
        actor: str | None,
        key_id: str | None,
        role: str | None,
        method: str,
        path: str,
        query: str,
        status: int,
        client: str | None,
    ) -> None:
        """Append one entry to the audit log."""
        await self._pool.execute(
            "INSERT INTO audit_log (actor, key_id, role, method, path, query, status, client)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            actor,
            key_id,
            role,
            method,
            path,
            query,
            status,
            client,
        )

    async def audit_entries(self, limit: int, before: int | None) -> list[dict[str, Any]]:
        """Newest audit entries first."""
        rows = await self._pool.fetch(
            "SELECT id, at, actor, key_id, role, method, path, query, status, client"
            " FROM audit_log WHERE ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $1",
            limit,
            before,
        )
        return [dict(row) for row in rows]

    # saved searches ------------------------------------------------------------------------------

    async def save_search(self, owner: str, name: str, params: dict[str, Any]) -> dict[str, Any]:
        """Store a named search; the name is unique per owner.

        Raises:
            asyncpg.UniqueViolationError: The owner already has a search of that name.
        """
        row = await self._pool.fetchrow(
            "INSERT INTO saved_searches (id, owner, name, params) VALUES ($1, $2, $3, $4::jsonb)"
            " RETURNING id, owner, name, params, created_at",
            uuid.uuid4(),
            owner,
            name,
            json.dumps(params, default=str),
        )
        assert row is not None
        return _search(row)

    async def searches(self, owner: str | None) -> list[dict[str, Any]]:
        """Saved searches of one owner (all when ``owner`` is None)."""
        rows = await self._pool.fetch(
            "SELECT id, owner, name, params, created_at FROM saved_searches"
            " WHERE ($1::text IS NULL OR owner = $1) ORDER BY owner, name",
            owner,
        )
        return [_search(row) for row in rows]

    async def search(self, search_id: uuid.UUID, owner: str | None) -> dict[str, Any] | None:
        """One saved search, if it exists and ``owner`` may see it."""
        row = await self._pool.fetchrow(
            "SELECT id, owner, name, params, created_at FROM saved_searches"
            " WHERE id = $1 AND ($2::text IS NULL OR owner = $2)",
            search_id,
            owner,
        )
        return _search(row) if row else None

    async def delete_search(self, search_id: uuid.UUID, owner: str | None) -> bool:
        """Delete a saved search; False if not found (or not the owner's)."""
        result: str = await self._pool.execute(
            "DELETE FROM saved_searches WHERE id = $1 AND ($2::text IS NULL OR owner = $2)",
            search_id,
            owner,
        )
        return result.endswith(" 1")


def _search(row: asyncpg.Record) -> dict[str, Any]:
    found = dict(row)
    found["params"] = json.loads(found["params"])
    return found
