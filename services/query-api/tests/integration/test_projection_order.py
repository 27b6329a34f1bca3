"""Projections converge on one read model whatever the order and however often events arrive."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Publisher, Topology
from leadpipe_contracts import Event
from leadpipe_contracts.companies import StrikeOffKind
from leadpipe_contracts.crm import ContactSynced, ContactSyncFailed
from leadpipe_contracts.jobs import JobProgress, JobState
from leadpipe_contracts.privacy import PrivacyErasureRequested
from leadpipe_db import Database
from leadpipe_runtime import OutboxWriter
from query_api.bootstrap import definition
from query_api.projections import INBOX, Projector
from query_api.rebuild import READ_MODEL_TABLES

pytestmark = pytest.mark.integration

T = dt.datetime(2026, 9, 5, 10, 0, tzinfo=dt.UTC)
IGNORED_COLUMNS = {"name_tsv"}


def facts(events: Any) -> list[Event]:
    number, name = "08000001", "INDIA IMPORTS LTD"
    return [
        events.observed(number, name, postcode="M1 1AE", minutes=20),
        events.observed(number, "INDIA OLD LTD", postcode="B1 1AA", minutes=10),
        events.entered(number, name, minutes=21),
        events.left(number, minutes=30),
        events.entered(number, name, minutes=40),
        events.officers(number, [("i1", "PATEL, Ravi"), ("i2", "KHAN, Aisha")], minutes=22),
        events.officers(number, [("i1", "PATEL, Ravi")], minutes=23),
        events.domain(number, name, "india.example"),
        events.contact(number, name, "i1", "Ravi", "Patel", "ravi@india.example", score=61),
        events.contact(number, name, "i2", "Aisha", "Khan", "aisha@india.example", score=64),
        ContactSynced(
            event_id="s1",
            occurred_at=T,
            contact_key=f"{number}:i1",
            company_number=number,
            crm_contact_id="g1",
            created=True,
            payload_hash="h",
        ),
        ContactSyncFailed(
            event_id="s0",
            occurred_at=T - dt.timedelta(hours=1),
            contact_key=f"{number}:i1",
            company_number=number,
            status_code=500,
            reason="upstream",
        ),
        JobProgress(
            event_id="j2",
            occurred_at=T,
            job_id="j",
            job_type="backfill",
            service="officer-fetcher",
            state=JobState.COMPLETED,
            sequence=9,
            done=9,
        ),
        JobProgress(
            event_id="j1",
            occurred_at=T,
            job_id="j",
            job_type="backfill",
            service="officer-fetcher",
            state=JobState.RUNNING,
            sequence=3,
            done=3,
        ),
        PrivacyErasureRequested(
            event_id="e1",
            occurred_at=T,
            request_id="r1",
            email="aisha@india.example",
            requested_by="admin",
        ),
    ]


@pytest.fixture(scope="module")
async def database(
    database_url: str, namespace: str, module_nats: NatsClient
) -> AsyncIterator[tuple[Database, Projector, asyncio.AbstractEventLoop]]:
    db = Database(database_url, definition.schema(namespace))
    await db.open()
    await db.migrate(["query_api.migrations"])
    outbox = OutboxWriter(Publisher(module_nats.jetstream(), Topology(namespace), "q"), db.schema)
    try:
        # The loop the pool lives on: the (synchronous) Hypothesis test drives it directly.
        yield db, Projector(db.transaction, outbox), asyncio.get_running_loop()
    finally:
        await db.close()


async def snapshot(db: Database) -> dict[str, list[dict[str, Any]]]:
    state = {}
    for table in READ_MODEL_TABLES:
        rows = await db.pool.fetch(f"SELECT * FROM {table}")
        cleaned = [
            json.dumps(
                {k: v for k, v in dict(row).items() if k not in IGNORED_COLUMNS},
                default=str,
                sort_keys=True,
            )
            for row in rows
        ]
        state[table] = sorted(cleaned)  # type: ignore[assignment]
    return state  # type: ignore[return-value]


async def replay(db: Database, projector: Projector, sequence: list[Event]) -> Any:
    async with db.transaction() as connection:
        await connection.execute("TRUNCATE " + ", ".join(READ_MODEL_TABLES))
        await connection.execute("DELETE FROM processed_events WHERE consumer = $1", INBOX)
    for event in sequence:
        await projector.apply(event)
    return await snapshot(db)


def test_any_order_with_repeats_gives_the_canonical_read_model(
    database: tuple[Database, Projector, asyncio.AbstractEventLoop], events: Any
) -> None:
    db, projector, loop = database
    history = facts(events)
    reference = loop.run_until_complete(replay(db, projector, history))
    assert reference["contacts"], "the scenario produces contacts"
    assert not any("aisha" in row for row in reference["contacts"]), "erased in any order"

    @given(st.permutations(history), st.lists(st.integers(0, len(history) - 1), max_size=5))
    @settings(
        max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def orders(order: list[Event], repeats: list[int]) -> None:
        sequence = list(order) + [order[index] for index in repeats]
        assert loop.run_until_complete(replay(db, projector, sequence)) == reference

    orders()


def test_an_identified_kind_completes_the_unknown_entry_it_follows_in_any_order(
    database: tuple[Database, Projector, asyncio.AbstractEventLoop], events: Any
) -> None:
    db, projector, loop = database
    unknown, voluntary, compulsory = (
        StrikeOffKind.UNKNOWN,
        StrikeOffKind.VOLUNTARY,
        StrikeOffKind.COMPULSORY,
    )
    history = [
        # A kind identified for an earlier strike-off, with an exit since: not this entry's.
        events.entered("08100001", "ALPHA LTD", minutes=21, kind=unknown),
        events.kind_identified("08100001", compulsory, minutes=25),
        events.left("08100001", minutes=30),
        events.entered("08100001", "ALPHA LTD", minutes=40, kind=unknown),
        # The filing's time may be a little before the profile's that started the strike-off.
        events.entered("08100002", "BRAVO LTD", minutes=50, kind=unknown),
        events.kind_identified("08100002", voluntary, minutes=49),
        # An entry that names its kind decides.
        events.entered("08100003", "CHARLIE LTD", minutes=60, kind=compulsory),
        events.kind_identified("08100003", voluntary, minutes=61),
        # The usual case: a filing read after the entry reveals its kind.
        events.entered("08100004", "DELTA LTD", minutes=70, kind=unknown),
        events.kind_identified("08100004", compulsory, minutes=71),
    ]

    async def kinds() -> dict[str, str]:
        rows = await db.pool.fetch("SELECT company_number, strike_off_kind FROM companies")
        return {row["company_number"]: row["strike_off_kind"] for row in rows}

    reference = loop.run_until_complete(replay(db, projector, history))
    assert loop.run_until_complete(kinds()) == {
        "08100001": "unknown",
        "08100002": "voluntary",
        "08100003": "compulsory",
        "08100004": "compulsory",
    }

    @given(st.permutations(history), st.lists(st.integers(0, len(history) - 1), max_size=4))
    @settings(
        max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def orders(order: list[Event], repeats: list[int]) -> None:
        sequence = list(order) + [order[index] for index in repeats]
        assert loop.run_until_complete(replay(db, projector, sequence)) == reference

    orders()
