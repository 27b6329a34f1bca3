"""Erasure scrubs the outbox of published events naming a person, and nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from leadpipe_contracts import utcnow
from leadpipe_contracts.privacy import PrivacyErasureRequested
from leadpipe_runtime import (
    BaseSettings,
    Components,
    Service,
    ServiceContext,
    ServiceDefinition,
)
from leadpipe_runtime.privacy import erase_published_events, fingerprint
from leadpipe_testing import poll_until

pytestmark = pytest.mark.integration


async def build(context: ServiceContext[BaseSettings]) -> Components:
    return Components()


DEFINITION = ServiceDefinition(name="officer-fetcher", settings_type=BaseSettings, build=build)


@pytest.fixture
async def service(settings: BaseSettings) -> AsyncIterator[Service[BaseSettings]]:
    running = Service(DEFINITION, settings)
    await running.start()
    yield running
    await running.stop()


def _naming(email: str, number: int) -> PrivacyErasureRequested:
    return PrivacyErasureRequested(
        event_id=f"event-{number}",
        occurred_at=utcnow(),
        request_id=f"r{number}",
        email=email,
        requested_by="dpo",
    )


async def test_published_rows_naming_the_person_go_and_everything_else_stays(
    service: Service[BaseSettings],
) -> None:
    context = service.context
    assert context is not None
    async with context.db.transaction() as connection:
        await context.outbox.add(connection, _naming("Jane.Doe@Example.org", 1))
        await context.outbox.add(connection, _naming("someone@example.org", 2))

    async def published() -> bool:
        waiting = await context.db.pool.fetchval(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )
        return waiting == 0

    await poll_until(published, timeout=20, message="relayed")
    async with context.db.transaction() as connection:
        await context.outbox.add(connection, _naming("jane.doe@example.org", 3))
        erased = await erase_published_events(connection, ["JANE.DOE@example.org ", None, ""])
        left = await connection.fetch("SELECT msg_id, published_at FROM outbox ORDER BY id")
    assert erased == 1
    assert len(left) == 2, "the other person's row and the unpublished row stay"
    assert left[1]["published_at"] is None
    async with context.db.transaction() as connection:
        assert await erase_published_events(connection, [None, " "]) == 0


async def test_an_event_just_consumed_goes_even_before_its_publish_is_recorded(
    service: Service[BaseSettings],
) -> None:
    context = service.context
    assert context is not None
    request = _naming("jane.doe@example.org", 4)
    async with context.db.transaction() as connection:
        # Not yet marked published (the relay cannot even see it), but known to be delivered.
        await context.outbox.add(connection, request)
        await context.outbox.add(connection, _naming("jane.doe@example.org", 5))
        erased = await erase_published_events(
            connection, ["jane.doe@example.org"], delivered=[request.event_id]
        )
        left = await connection.fetchval(
            "SELECT count(*) FROM outbox WHERE msg_id = $1", request.event_id
        )
    assert erased == 1
    assert left == 0


def test_fingerprints_are_one_way_and_stable() -> None:
    assert fingerprint("jane@example.org") == fingerprint("jane@example.org")
    assert fingerprint("jane@example.org") != fingerprint("jane@example.com")
    assert "jane" not in fingerprint("jane@example.org")
    assert fingerprint("a", "b") != fingerprint("ab")
