"""``leadpipe users``, ``leadpipe keys`` and ``leadpipe query-api rebuild``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from leadpipe_bus import ConnectionState, Topology, connect
from leadpipe_db import Database
from query_api.adapters.access import AccessStore
from query_api.auth import Role
from query_api.bootstrap import definition
from query_api.rebuild import RebuildRefused, rebuild

T = TypeVar("T")
console = Console()

users = typer.Typer(help="Dashboard and API users.", no_args_is_help=True)
keys = typer.Typer(help="API keys (stored hashed; shown once).", no_args_is_help=True)
query_api = typer.Typer(help="query-api maintenance.", no_args_is_help=True)

DatabaseUrl = Annotated[
    str, typer.Option(envvar="LEADPIPE_DATABASE_URL", help="Postgres URL.", show_default=False)
]
NatsUrl = Annotated[str, typer.Option(envvar="LEADPIPE_NATS_URL", help="NATS URL.")]
Namespace = Annotated[
    str, typer.Option(envvar="LEADPIPE_NAMESPACE", help="Stream/schema name prefix (tests).")
]
DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/postgres"


async def _with_store(
    database_url: str, namespace: str, work: Callable[[AccessStore], Awaitable[T]]
) -> T:
    db = Database(database_url, definition.schema(namespace), application_name="leadpipe-cli")
    await db.open(timeout=30)
    try:
        await db.migrate([definition.migrations] if definition.migrations else [])
        return await work(AccessStore(db))
    finally:
        await db.close()


@users.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="admin, analyst or viewer.")] = Role.VIEWER,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="LEADPIPE_NEW_USER_PASSWORD",
            help="Prompted for when not given.",
        ),
    ] = "",
    database_url: DatabaseUrl = DEFAULT_DB,
    namespace: Namespace = "",
) -> None:
    """Create a user (or reset an existing user's password and role)."""
    if len(password) < 10:
        raise typer.BadParameter("use a password of at least 10 characters", param_hint="password")
    asyncio.run(
        _with_store(database_url, namespace, lambda store: store.add_user(username, password, role))
    )
    console.print(f"user {username} ({role}) saved")


@keys.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="What the key is for.")],
    role: Annotated[Role, typer.Option(help="admin, analyst or viewer.")] = Role.VIEWER,
    owner: Annotated[str | None, typer.Option(help="User the key acts for.")] = None,
    rate_limit: Annotated[
        int | None, typer.Option(min=1, help="Requests per minute (default: the service's).")
    ] = None,
    database_url: DatabaseUrl = DEFAULT_DB,
    namespace: Namespace = "",
) -> None:
    """Create an API key and print it once (only its hash is stored)."""
    key_id, full = asyncio.run(
        _with_store(
            database_url,
            namespace,
            lambda store: store.create_key(name, role, owner=owner, rate_limit=rate_limit),
        )
    )
    console.print(f"key id {key_id} ({role}); the key, shown only now:")
    print(full)


@keys.command("list")
def keys_list(database_url: DatabaseUrl = DEFAULT_DB, namespace: Namespace = "") -> None:
    """List API keys (never their secrets)."""
    rows = asyncio.run(_with_store(database_url, namespace, lambda store: store.list_keys()))
    table = Table(title=f"{len(rows)} API key(s)")
    table.add_column("key id", no_wrap=True, min_width=12)
    for column in ("name", "role", "owner", "rate/min", "created", "revoked"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["key_id"],
            row["name"],
            row["role"],
            row["owner"] or "",
            str(row["rate_limit_per_minute"] or "default"),
            str(row["created_at"]),
            str(row["revoked_at"] or ""),
        )
    console.print(table)


@keys.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (not the key).")],
    database_url: DatabaseUrl = DEFAULT_DB,
    namespace: Namespace = "",
) -> None:
    """Revoke an API key (effective within a minute on running instances)."""
    revoked = asyncio.run(
        _with_store(database_url, namespace, lambda store: store.revoke_key(key_id))
    )
    if not revoked:
        console.print(f"no active key {key_id}")
        raise typer.Exit(1)
    console.print(f"key {key_id} revoked")


async def _rebuild(nats_url: str, database_url: str, namespace: str, force: bool) -> list[str]:
    state = ConnectionState()
    client = await connect(nats_url, name="leadpipe-rebuild", state=state, initial_timeout=30)
    db = Database(database_url, definition.schema(namespace), application_name="leadpipe-cli")
    try:
        await db.open(timeout=30)
        await db.migrate([definition.migrations] if definition.migrations else [])
        return await rebuild(client.jetstream(), db, Topology(namespace), force=force)
    finally:
        await db.close()
        state.closing = True
        await client.close()


@query_api.command("rebuild")
def rebuild_command(
    nats_url: NatsUrl = "nats://127.0.0.1:4222",
    database_url: DatabaseUrl = DEFAULT_DB,
    namespace: Namespace = "",
    force: Annotated[bool, typer.Option(help="Do not check that query-api is stopped.")] = False,
) -> None:
    """Empty the read model and replay every stream into it (stop query-api first)."""
    try:
        reset = asyncio.run(_rebuild(nats_url, database_url, namespace, force))
    except RebuildRefused as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"read model emptied; {len(reset)} consumers reset to the start of their streams")
    console.print("start query-api to replay")


def register(app: typer.Typer) -> None:
    """Add query-api's commands to the ``leadpipe`` CLI."""
    app.add_typer(users, name="users")
    app.add_typer(keys, name="keys")
    app.add_typer(query_api, name="query-api")
