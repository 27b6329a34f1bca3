"""Per-schema, ordered, plain-SQL migrations, tracked in the schema they migrate.

A migration set is a package directory of files named ``NNNN_description.sql``. Every service
schema first receives the core set (``leadpipe_db/migrations``: inbox and outbox), then its own.
Each file runs once, in its own transaction, under an advisory lock so that several replicas
starting together apply it exactly once; a file changed after it was applied is an error (its
checksum is recorded), because the schema would no longer be what the file says.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.resources
import logging
import re

import asyncpg

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
CORE = "leadpipe_db.migrations"


class MigrationError(Exception):
    """The schema cannot be brought to the declared state."""


@dataclasses.dataclass(frozen=True)
class Migration:
    """One SQL file of a migration set."""

    component: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """Hash of the file's text, recorded when applied."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(package: str) -> list[Migration]:
    """Read a package's ``NNNN_*.sql`` files in version order.

    Raises:
        MigrationError: Two files share a version, or a file name does not follow the pattern.
    """
    found: dict[int, Migration] = {}
    for entry in importlib.resources.files(package).iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _NAME.match(entry.name)
        if match is None:
            raise MigrationError(f"{package}/{entry.name}: name must be NNNN_description.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{package}: two migrations numbered {version:04d}")
        found[version] = Migration(package, version, entry.name, entry.read_text())
    return [found[version] for version in sorted(found)]


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (schema names come from configuration, not users)."""
    return '"' + name.replace('"', '""') + '"'


async def migrate(connection: asyncpg.Connection, schema: str, packages: list[str]) -> list[str]:
    """Create ``schema`` if needed and apply the core set and ``packages``' migrations in order.

    Returns:
        The names of the migrations applied now (empty when the schema was current).

    Raises:
        MigrationError: A recorded migration's file changed, or one fails to apply.
    """
    schema_sql = quote_ident(schema)
    lock_key = int.from_bytes(
        hashlib.sha256(f"migrate:{schema}".encode()).digest()[:8], "big", signed=True
    )
    applied_now: list[str] = []
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", lock_key)
        await connection.execute(f"CREATE SCHEMA IF NOT EXISTS {schema_sql}")
        await connection.execute(
            f"""CREATE TABLE IF NOT EXISTS {schema_sql}.schema_migrations (
                    component  text        NOT NULL,
                    version    integer     NOT NULL,
                    name       text        NOT NULL,
                    checksum   text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (component, version))"""
        )
        rows = await connection.fetch(
            f"SELECT component, version, checksum FROM {schema_sql}.schema_migrations"  # noqa: S608 - quoted identifier
        )
        recorded = {(row["component"], row["version"]): row["checksum"] for row in rows}
        await connection.execute(f"SET LOCAL search_path TO {schema_sql}, public")
        for package in [CORE, *packages]:
            for migration in load_migrations(package):
                checksum = recorded.get((migration.component, migration.version))
                if checksum == migration.checksum:
                    continue
                if checksum is not None:
                    raise MigrationError(
                        f"{migration.component}/{migration.name} changed after it was applied to "
                        f"schema {schema}; add a new migration instead of editing an applied one"
                    )
                try:
                    await connection.execute(migration.sql)
                except asyncpg.PostgresError as exc:
                    raise MigrationError(
                        f"{migration.component}/{migration.name} failed on schema {schema}: {exc}"
                    ) from exc
                await connection.execute(
                    f"INSERT INTO {schema_sql}.schema_migrations"  # noqa: S608 - quoted identifier
                    " (component, version, name, checksum) VALUES ($1, $2, $3, $4)",
                    migration.component,
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
                applied_now.append(f"{migration.component}/{migration.name}")
    for name in applied_now:
        log.info("migration applied", extra={"schema": schema, "migration": name})
    return applied_now
