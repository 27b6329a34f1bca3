"""The HTTP endpoint with an in-memory store: answers, precise errors, never acks unstored."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest

from webhook_receiver.domain import body_id
from webhook_receiver.tokens import sign

from .conftest import SECRET, MemoryStore

BATCH = "batch-0001"
URL = f"/webhooks/snov/{sign(BATCH, SECRET)}"


async def test_a_valid_push_is_stored_with_its_batch_and_task(
    client: httpx.AsyncClient, store: MemoryStore
) -> None:
    body = b'{"status": "completed", "data": [], "meta": {"task_hash": "abc"}, "extra": 1}'
    response = await client.post(URL, content=body)
    assert response.status_code == 200
    event = store.events[body_id(body)]
    assert (event.batch_id, event.task_hash, bytes(event.payload)) == (BATCH, "abc", body)


async def test_unknown_members_and_a_missing_meta_are_accepted(
    client: httpx.AsyncClient, store: MemoryStore
) -> None:
    response = await client.post(URL, content=b'{"anything": ["goes"]}')
    assert response.status_code == 200
    assert next(iter(store.events.values())).task_hash is None


async def test_a_chunked_body_over_the_limit_is_refused_with_413(
    client: httpx.AsyncClient, store: MemoryStore
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 100

    response = await client.post(URL, content=chunks())
    assert response.status_code == 413
    assert store.events == {}


async def test_a_push_is_answered_503_and_not_acknowledged_when_the_store_is_down(
    client: httpx.AsyncClient, store: MemoryStore
) -> None:
    store.available = False
    response = await client.post(URL, content=b"{}")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"


async def test_a_wrong_member_type_gets_a_400_naming_the_path(client: httpx.AsyncClient) -> None:
    response = await client.post(URL, content=b'{"data": {"not": "a list"}}')
    assert response.status_code == 400
    assert msgspec.json.decode(response.content)["detail"] == (
        "Expected `array | null`, got `object` - at `$.data`"
    )


async def test_the_openapi_document_describes_every_answer(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    operation = spec["paths"]["/webhooks/snov/{token}"]["post"]
    assert set(operation["responses"]) >= {"200", "400", "404", "413", "429", "503"}
    assert "application/json" in operation["requestBody"]["content"]


async def test_request_logs_carry_neither_the_token_nor_the_body(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = b'{"data": [{"people": "Priya Raman", "result": [{"email": "priya@example.org"}]}]}'
    assert (await client.post(URL, content=body)).status_code == 200
    records = [r for r in caplog.records if r.name.startswith("webhook_receiver")]
    assert records, "the request was logged"
    for record in records:
        text = record.getMessage() + repr(vars(record))
        assert URL.rsplit("/", 1)[1].partition(".")[2] not in text, "the token's signature"
        assert "priya" not in text.lower()
    assert any(getattr(r, "batch_id", None) == BATCH for r in records)
