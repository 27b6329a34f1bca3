"""Leadpipe persistence: one asyncpg pool per service schema, migrations, and the inbox.

- ``Database``: the pool, confined to the service schema, with transaction helpers.
- ``migrate``: ordered plain-SQL migrations tracked in each schema (core set first).
- ``inbox.claim``: the processed-event table that makes a consumer idempotent.

The outbox table is created by the core migrations; its writer and relay live in
``leadpipe_runtime.outbox`` because they publish to the bus.
"""

from leadpipe_db import inbox
from leadpipe_db.migrate import Migration, MigrationError, load_migrations, migrate, quote_ident
from leadpipe_db.pool import Database

__all__ = [
    "Database",
    "Migration",
    "MigrationError",
    "inbox",
    "load_migrations",
    "migrate",
    "quote_ident",
]
