"""Schemathesis fuzzes every documented operation (bounded examples): never a 5xx."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from nats.aio.client import Client as NatsClient
from schemathesis.checks import not_a_server_error

from leadpipe_bus import Publisher, Topology
from leadpipe_db import Database
from leadpipe_runtime import OutboxWriter, Secret
from query_api.adapters.access import AccessStore
from query_api.api import AppState, create_app
from query_api.auth import Authenticator, Role
from query_api.bootstrap import definition
from query_api.projections import Projector
from query_api.ratelimit import RateLimiter
from query_api.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def seeded(
    database_url: str, namespace: str, module_nats: NatsClient, events: Any
) -> dict[str, Any]:
    """A migrated schema with a few companies, officers and leads, and an admin key."""
    db = Database(database_url, definition.schema(namespace))
    await db.open()
    try:
        await db.migrate(["query_api.migrations"])
        publisher = Publisher(module_nats.jetstream(), Topology(namespace), "query-api")
        projector = Projector(db.transaction, OutboxWriter(publisher, db.schema))
        for index in range(5):
            number, name = f"0600000{index}", f"FUZZ TARGET {index} LTD"
            for event in (
                events.observed(number, name),
                events.entered(number, name),
                events.officers(number, [(f"f{index}", f"FUZZ, Person {index}")]),
                events.contact(number, name, f"f{index}", "Person", "Fuzz", f"f{index}@fz.example"),
            ):
                await projector.apply(event)
        _, key = await AccessStore(db).create_key("fuzzer", Role.ADMIN)
    finally:
        await db.close()
    return {"key": key}


@pytest.fixture(scope="module")
def api_schema(seeded: dict[str, Any], database_url: str, namespace: str) -> Any:
    """The app on its own pool (opened by its lifespan on the test client's event loop)."""
    settings_ = Settings(
        database_url=Secret(database_url),
        namespace=namespace,
        jwt_secret=Secret("schemathesis-signing-key-0123456789abcdef"),
        rate_limit_per_minute=1_000_000,
    )
    db = Database(database_url, definition.schema(namespace))
    access = AccessStore(db)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await db.open()
        try:
            yield
        finally:
            await db.close()

    class NoPublisher(Publisher):
        """Outbox rows are only written here; nothing relays them."""

    state = AppState(
        settings=settings_,
        db=db,
        outbox=OutboxWriter(NoPublisher(None, Topology(namespace), "query-api"), db.schema),  # type: ignore[arg-type]
        topology=Topology(namespace),
        authenticator=Authenticator(access.find_key, access.find_user),
        access=access,
        limiter=RateLimiter(),
    )
    app = create_app(state, lifespan=lifespan)
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app).exclude(
        path="/api/v1/feed"  # an endless event stream; tested on a real server instead
    )


def test_no_operation_answers_with_a_server_error(api_schema: Any, seeded: dict[str, Any]) -> None:
    # Each operation is fuzzed with Hypothesis directly (schemathesis's pytest plugin predates
    # the pytest in use); every response is checked for 5xx.
    headers = {"X-API-Key": seeded["key"]}
    failures: list[str] = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        try:
            fuzz()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert operations >= 35
    assert not failures, "\n\n".join(failures)
