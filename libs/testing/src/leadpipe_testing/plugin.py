"""pytest fixtures for real infrastructure (registered as the ``leadpipe`` pytest plugin).

Session-wide servers are shared; isolation comes from a unique ``namespace`` per test, which
prefixes JetStream stream and subject names and Postgres schema names.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NatsClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from leadpipe_embedded import EmbeddedNats, EmbeddedPostgres
from leadpipe_testing.servers import nats_server, postgres_server
from leadpipe_testing.tracing import install_memory_tracing


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a NATS server with JetStream shared by the session."""
    with nats_server(tmp_path_factory.mktemp("nats")) as url:
        yield url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a Postgres server shared by the session."""
    with postgres_server(tmp_path_factory.mktemp("postgres")) as url:
        yield url


@pytest.fixture
def namespace() -> str:
    """A name unique to this test, for its streams, subjects, consumers and schemas."""
    return "t" + uuid.uuid4().hex[:10]


@pytest.fixture
async def nats_client(nats_url: str) -> AsyncIterator[NatsClient]:
    """A connected NATS client, closed after the test."""
    client = await nats.connect(nats_url, max_reconnect_attempts=-1, connect_timeout=5)
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def pg_connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection for assertions that look at Postgres directly."""
    connection = await asyncpg.connect(database_url)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[EmbeddedNats]:
    """A NATS server of this test's own, for tests that stop, kill or restart it."""
    server = EmbeddedNats(tmp_path / "private-nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def private_postgres(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    """A Postgres server of this test's own, for tests that stop or crash it."""
    server = EmbeddedPostgres(tmp_path / "private-postgres")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    """Collects finished spans in memory; installs the process-wide SDK tracer provider once."""
    return install_memory_tracing()
