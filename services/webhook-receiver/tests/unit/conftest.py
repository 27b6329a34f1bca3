"""Unit-test fixtures: the application with an in-memory store."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from leadpipe_contracts.webhooks import SnovWebhookReceived
from webhook_receiver.app import create_app
from webhook_receiver.ports import StoreUnavailable
from webhook_receiver.ratelimit import RateLimiter

SECRET = "unit-test-webhook-secret"


class MemoryStore:
    """Keeps events by id; can be switched to unavailable."""

    def __init__(self) -> None:
        self.events: dict[str, SnovWebhookReceived] = {}
        self.available = True

    async def store(self, event: SnovWebhookReceived) -> bool:
        if not self.available:
            raise StoreUnavailable("down")
        new = event.event_id not in self.events
        self.events.setdefault(event.event_id, event)
        return new


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def app(store: MemoryStore) -> FastAPI:
    return create_app(
        secret=SECRET, store=store, limiter=RateLimiter(1_000, 60.0), max_body_bytes=1024
    )


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as http:
        yield http
