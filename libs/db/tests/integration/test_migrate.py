"""Migrations apply once per schema, re-run as no-ops, and refuse edited history."""

from __future__ import annotations

import sys
from pathlib import Path

import asyncpg
import pytest

from leadpipe_db import Database, MigrationError, inbox, load_migrations

pytestmark = pytest.mark.integration


@pytest.fixture
def migration_package(tmp_path: Path, namespace: str) -> str:
    """A throwaway package of migration files, importable by name."""
    package = tmp_path / f"{namespace}_migrations"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "0001_things.sql").write_text("CREATE TABLE things (id int PRIMARY KEY);")
    (package / "0002_more.sql").write_text("ALTER TABLE things ADD COLUMN name text;")
    sys.path.insert(0, str(tmp_path))
    yield package.name
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith(package.name)]:
        del sys.modules[name]


async def test_migrations_apply_once_and_rerun_as_no_ops(
    database_url: str, namespace: str, migration_package: str
) -> None:
    db = Database(database_url, namespace)
    await db.open()
    try:
        applied = await db.migrate([migration_package])
        assert applied == [
            "leadpipe_db.migrations/0001_core.sql",
            f"{migration_package}/0001_things.sql",
            f"{migration_package}/0002_more.sql",
        ]
        assert await db.migrate([migration_package]) == []
        async with db.transaction() as connection:
            await connection.execute("INSERT INTO things (id, name) VALUES (1, 'a')")
        rows = await db.pool.fetchval(f'SELECT count(*) FROM "{namespace}".schema_migrations')
        assert rows == 3
    finally:
        await db.close()


async def test_an_applied_migration_that_was_edited_is_refused(
    database_url: str, namespace: str, migration_package: str, tmp_path: Path
) -> None:
    db = Database(database_url, namespace)
    await db.open()
    try:
        await db.migrate([migration_package])
        (tmp_path / migration_package / "0002_more.sql").write_text("SELECT 1;")
        with pytest.raises(MigrationError, match=r"0002_more\.sql changed after it was applied"):
            await db.migrate([migration_package])
    finally:
        await db.close()


async def test_failing_migration_names_the_file_and_leaves_nothing_half_applied(
    database_url: str, namespace: str, migration_package: str, tmp_path: Path
) -> None:
    (tmp_path / migration_package / "0003_broken.sql").write_text("CREATE TABLE nope (;")
    db = Database(database_url, namespace)
    await db.open()
    try:
        with pytest.raises(MigrationError, match=r"0003_broken\.sql failed"):
            await db.migrate([migration_package])
        exists = await db.pool.fetchval(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1", namespace
        )
        assert exists == 0
    finally:
        await db.close()


def test_migration_files_must_follow_the_naming_pattern(
    migration_package: str, tmp_path: Path
) -> None:
    (tmp_path / migration_package / "3_bad.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"NNNN_description\.sql"):
        load_migrations(migration_package)


async def test_inbox_claims_an_event_once_per_consumer(database_url: str, namespace: str) -> None:
    db = Database(database_url, namespace)
    await db.open()
    try:
        await db.migrate([])
        async with db.transaction() as connection:
            assert await inbox.claim(connection, "c1", "e1")
            assert not await inbox.claim(connection, "c1", "e1")
            assert await inbox.claim(connection, "c2", "e1")
        with pytest.raises(asyncpg.UniqueViolationError):
            await db.pool.execute(
                "INSERT INTO processed_events (consumer, event_id) VALUES ('c1', 'e1')"
            )
    finally:
        await db.close()
