"""webhook-receiver on real NATS: stores before answering, rejects what it must, 503 when down."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import msgspec
import pytest
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Topology
from leadpipe_contracts.webhooks import SnovWebhookReceived
from leadpipe_embedded import EmbeddedNats, free_port
from leadpipe_runtime import Secret, Service
from leadpipe_testing import poll_until
from webhook_receiver.bootstrap import definition
from webhook_receiver.settings import Settings
from webhook_receiver.tokens import sign

pytestmark = pytest.mark.integration

SECRET = "receiver-integration-secret"
BATCH = "0123456789abcdef0123456789abcdef"
PUSH = {
    "status": "completed",
    "data": [{"name": "Acme", "result": {"domain": "acme.co.uk"}}],
    "meta": {"names": ["Acme"], "task_hash": "5c2d8e7f1a0b49c3d6e2f81a7b0c94d5"},
}

Starter = Callable[..., Awaitable[str]]


@pytest.fixture
async def receiver(database_url: str, namespace: str) -> AsyncIterator[Starter]:
    """Start webhook-receiver (on the shared or a given NATS); yields its base URL."""
    services: list[Service[Settings]] = []

    async def start(nats_url: str, **overrides: Any) -> str:
        port = free_port()
        settings = Settings(
            nats_url=nats_url,
            database_url=Secret(database_url),
            namespace=namespace,
            ops_port=0,
            shutdown_grace_seconds=1,
            webhook_secret=Secret(SECRET),
            http_port=port,
            **overrides,
        )
        service = Service(definition, settings)
        await service.start()
        services.append(service)
        await poll_until(lambda: _ready(service), message="http listening")
        return f"http://127.0.0.1:{port}"

    yield start
    for service in services:
        await service.stop()


async def _ready(service: Service[Settings]) -> bool:
    return (await service.health.readiness())["http"].status.value == "ok"


async def _post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url,
            data=io.BytesIO(body),
            headers={"Content-Type": "application/json", **(headers or {})},
        ) as response,
    ):
        text = await response.text()
        return response.status, json.loads(text) if text else None


async def _stored(nats: NatsClient, namespace: str) -> list[SnovWebhookReceived]:
    js = nats.jetstream()
    name = Topology(namespace).stream_name("WEBHOOKS")
    info = await js.stream_info(name)
    decoder = msgspec.json.Decoder(SnovWebhookReceived)
    return [
        decoder.decode((await js.get_msg(name, seq)).data or b"")
        for seq in range(info.state.first_seq, info.state.last_seq + 1)
        if info.state.messages
    ]


async def test_a_valid_push_is_stored_once_before_200(
    receiver: Starter, nats_url: str, nats_client: NatsClient, namespace: str
) -> None:
    base = await receiver(nats_url)
    url = f"{base}/webhooks/snov/{sign(BATCH, SECRET)}"
    body = json.dumps(PUSH).encode()

    assert await _post(url, body) == (200, {"status": "accepted", "duplicate": False})
    stored = await _stored(nats_client, namespace)
    assert len(stored) == 1, "stored before the answer"
    assert await _post(url, body) == (200, {"status": "accepted", "duplicate": True})
    assert await _post(url, body) == (200, {"status": "accepted", "duplicate": True})

    stored = await _stored(nats_client, namespace)
    assert len(stored) == 1
    assert stored[0].batch_id == BATCH
    assert stored[0].task_hash == PUSH["meta"]["task_hash"]  # type: ignore[index]
    assert json.loads(bytes(stored[0].payload)) == PUSH


@pytest.mark.parametrize(
    ("token", "body", "status", "detail"),
    [
        (sign(BATCH, "another-secret-entirely"), b"{}", 404, None),
        (BATCH, b"{}", 404, None),
        (sign(BATCH, SECRET)[:-1] + "0", b"{}", 404, None),
        (sign(BATCH, SECRET), b"{not json", 400, "JSON is malformed"),
        (sign(BATCH, SECRET), b"[1, 2]", 400, "Expected `object`, got `array`"),
        (
            sign(BATCH, SECRET),
            b'{"meta": {"task_hash": 42}}',
            400,
            "Expected `str | null`, got `int` - at `$.meta.task_hash`",
        ),
        (sign(BATCH, SECRET), b"", 400, "empty body"),
        (sign(BATCH, SECRET), b'{"pad": "' + b"x" * 1_048_600 + b'"}', 413, None),
    ],
    ids=[
        "wrong-secret",
        "no-signature",
        "altered-signature",
        "not-json",
        "not-an-object",
        "wrong-type",
        "empty",
        "over-1-MiB",
    ],
)
async def test_forged_malformed_and_oversized_pushes_are_rejected_and_nothing_is_published(
    receiver: Starter,
    nats_url: str,
    nats_client: NatsClient,
    namespace: str,
    token: str,
    body: bytes,
    status: int,
    detail: str | None,
) -> None:
    base = await receiver(nats_url)
    answered, payload = await _post(f"{base}/webhooks/snov/{token}", body)
    assert answered == status
    if status == 404:
        assert payload == {"detail": "Not Found"}, "no hint why"
    if detail is not None:
        assert detail in payload["detail"]
    assert await _stored(nats_client, namespace) == []


async def test_too_many_requests_from_one_address_get_429(receiver: Starter, nats_url: str) -> None:
    base = await receiver(nats_url, rate_limit_requests=3)
    url = f"{base}/webhooks/snov/forged.token"
    statuses = [(await _post(url, b"{}"))[0] for _ in range(5)]
    assert statuses == [404, 404, 404, 429, 429]


async def test_a_push_is_answered_503_while_nats_is_down(
    receiver: Starter, private_nats: EmbeddedNats
) -> None:
    base = await receiver(private_nats.url)
    url = f"{base}/webhooks/snov/{sign(BATCH, SECRET)}"
    private_nats.stop()
    status, payload = await _post(url, json.dumps(PUSH).encode())
    assert status == 503
    assert payload["error"] == "unavailable"
