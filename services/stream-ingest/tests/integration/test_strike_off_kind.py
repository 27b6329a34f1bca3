"""A strike-off kind learnt from a filing after the company entered strike-off is published.

The processors of the companies and filings streams are driven with stream lines directly (real
NATS and Postgres): the order in which the two streams are read is what the tests choose.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Publisher
from leadpipe_db import Database
from stream_ingest.ingest import StateLock, StreamProcessor

from .conftest import read_messages

pytestmark = pytest.mark.integration

AT = "2026-11-20T09:00:00"
LATER = "2026-11-20T11:00:00"


def profile_line(number: str, timepoint: int) -> bytes:
    return msgspec.json.encode(
        {
            "resource_kind": "company-profile",
            "resource_uri": f"/company/{number}",
            "resource_id": number,
            "data": {
                "company_number": number,
                "company_name": f"COMPANY {number} LTD",
                "company_status": "active",
                "company_status_detail": "active-proposal-to-strike-off",
                "etag": f"etag-{number}-{timepoint}",
            },
            "event": {"timepoint": timepoint, "published_at": AT, "type": "changed"},
        }
    )


def filing_line(number: str, timepoint: int, description: str, filing_type: str) -> bytes:
    return msgspec.json.encode(
        {
            "resource_kind": "filing-history",
            "resource_uri": f"/company/{number}/filing-history/MzA{timepoint}",
            "resource_id": f"MzA{timepoint}",
            "data": {"type": filing_type, "description": description, "category": "gazette"},
            "event": {"timepoint": timepoint, "published_at": LATER, "type": "changed"},
        }
    )


def processors(
    db: Database, bus: tuple[NatsClient, Publisher]
) -> tuple[StreamProcessor, StreamProcessor]:
    client, publisher = bus
    lock = StateLock()
    grace = dt.timedelta(minutes=5)
    return (
        StreamProcessor(db, client, publisher, "companies", signal_grace=grace, lock=lock),
        StreamProcessor(db, client, publisher, "filings", signal_grace=grace, lock=lock),
    )


async def feed(processor: StreamProcessor, *lines: bytes) -> None:
    await processor.load_position()
    await processor.handle(list(lines))
    await processor.drain()


async def kinds_published(
    bus: tuple[NatsClient, Publisher], namespace: str
) -> list[tuple[str | None, dict[str, Any]]]:
    return await read_messages(bus[0], namespace, "companies.strikeoff.kind")


async def test_a_filing_after_an_unknown_entry_publishes_the_kind_once_with_its_stream_id(
    db: Database, bus: tuple[NatsClient, Publisher], namespace: str
) -> None:
    companies, filings = processors(db, bus)
    await feed(companies, profile_line("01000001", 10))
    entered = await read_messages(bus[0], namespace, "companies.strikeoff.entered")
    assert [body["kind"] for _, body in entered] == ["unknown"]

    await feed(filings, filing_line("01000001", 20, "gazette-notice-compulsary", "GAZ1"))
    # The kind is known now: later filings of the same strike-off say nothing new.
    await feed(filings, filing_line("01000001", 21, "gazette-notice-voluntary", "GAZ1(A)"))

    published = await kinds_published(bus, namespace)
    assert [msg_id for msg_id, _ in published] == ["filings:20:kind"]
    body = published[0][1]
    assert body["type"] == "company.strikeoff.kind.v1"
    assert body["company_number"] == "01000001"
    assert body["kind"] == "compulsory"
    assert body["signal"] == "proposal"
    assert body["source"] == "stream"
    assert body["source_ref"] == "filings:20"
    assert body["event_id"] == "filings:20:kind"
    async with db.pool.acquire() as connection:
        stored = await connection.fetchval(
            "SELECT strike_off_kind FROM companies WHERE company_number = $1", "01000001"
        )
    assert stored == "compulsory"


async def test_a_kind_known_at_entry_is_not_published_again_by_a_later_filing(
    db: Database, bus: tuple[NatsClient, Publisher], namespace: str
) -> None:
    companies, filings = processors(db, bus)
    # The directors' application is read first, so the entry itself carries the kind.
    await feed(
        filings,
        filing_line("01000002", 30, "dissolution-application-strike-off-company", "DS01"),
    )
    await feed(companies, profile_line("01000002", 40))
    await feed(filings, filing_line("01000002", 31, "gazette-notice-voluntary", "GAZ1(A)"))

    entered = await read_messages(bus[0], namespace, "companies.strikeoff.entered")
    assert [body["kind"] for _, body in entered] == ["voluntary"]
    assert await kinds_published(bus, namespace) == []


async def test_a_replayed_filing_stores_its_kind_event_only_once(
    db: Database, bus: tuple[NatsClient, Publisher], namespace: str
) -> None:
    companies, filings = processors(db, bus)
    await feed(companies, profile_line("01000003", 50))
    line = filing_line("01000003", 60, "gazette-notice-voluntary", "GAZ1(A)")
    await feed(filings, line)
    # A crash after publishing but before the checkpoint: the stored position and state go
    # back, the filing is read again and derives the same event under the same Nats-Msg-Id.
    async with db.pool.acquire() as connection:
        await connection.execute("DELETE FROM stream_positions WHERE stream = 'filings'")
        await connection.execute(
            "UPDATE companies SET strike_off_kind = 'unknown' WHERE company_number = $1",
            "01000003",
        )
    _, again = processors(db, bus)
    await feed(again, line)

    published = await kinds_published(bus, namespace)
    assert [(msg_id, body["kind"]) for msg_id, body in published] == [
        ("filings:60:kind", "voluntary")
    ]
