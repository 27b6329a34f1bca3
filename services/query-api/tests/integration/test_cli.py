"""``leadpipe users add`` and ``leadpipe keys create/list/revoke`` bootstrap access."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from leadpipe_db import Database
from query_api.adapters.access import AccessStore
from query_api.auth import Authenticator, AuthError, Role
from query_api.bootstrap import definition
from query_api.cli import register

pytestmark = pytest.mark.integration


def _run(work: Any) -> Any:
    """Run a coroutine on a loop of its own (the CLI under test runs its own loops too)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(work)
    finally:
        loop.close()


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


async def _check(database_url: str, namespace: str, key: str) -> tuple[Role, Role]:
    db = Database(database_url, definition.schema(namespace))
    await db.open()
    try:
        store = AccessStore(db)
        authenticator = Authenticator(store.find_key, store.find_user)
        by_key = await authenticator.api_key(key)
        by_password = await authenticator.password("carol", "a-long-enough-password")
        return by_key.role, by_password.role
    finally:
        await db.close()


async def _refused(database_url: str, namespace: str, key: str) -> bool:
    db = Database(database_url, definition.schema(namespace))
    await db.open()
    try:
        store = AccessStore(db)
        try:
            await Authenticator(store.find_key, store.find_user).api_key(key)
        except AuthError:
            return True
        return False
    finally:
        await db.close()


def test_users_and_keys_are_created_listed_and_revoked_from_the_cli(
    database_url: str, namespace: str
) -> None:
    runner = CliRunner()
    common = ["--database-url", database_url, "--namespace", namespace]
    short = runner.invoke(
        _app(), ["users", "add", "carol", "--role", "admin", "--password", "short", *common]
    )
    assert short.exit_code != 0
    added = runner.invoke(
        _app(),
        [
            "users",
            "add",
            "carol",
            "--role",
            "admin",
            "--password",
            "a-long-enough-password",
            *common,
        ],
    )
    assert added.exit_code == 0, added.output
    created = runner.invoke(
        _app(), ["keys", "create", "reporting", "--role", "analyst", "--rate-limit", "30", *common]
    )
    assert created.exit_code == 0, created.output
    key = re.search(r"lp_[0-9a-f]{12}_\S+", created.output)
    assert key is not None
    assert _run(_check(database_url, namespace, key.group(0))) == (Role.ANALYST, Role.ADMIN)
    key_id = key.group(0)[3:15]
    listed = runner.invoke(_app(), ["keys", "list", *common])
    assert key_id in listed.output
    assert key.group(0) not in listed.output
    revoked = runner.invoke(_app(), ["keys", "revoke", key_id, *common])
    assert revoked.exit_code == 0
    assert _run(_refused(database_url, namespace, key.group(0)))
    again = runner.invoke(_app(), ["keys", "revoke", key_id, *common])
    assert again.exit_code == 1
