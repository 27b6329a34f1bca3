"""Settings of a service under test, on the fixtures' NATS and Postgres in its own namespace."""

from __future__ import annotations

import pytest

from leadpipe_runtime import BaseSettings, Secret


@pytest.fixture
def settings(nats_url: str, database_url: str, namespace: str) -> BaseSettings:
    return BaseSettings(
        nats_url=nats_url,
        database_url=Secret(database_url),
        namespace=namespace,
        ops_port=0,
        shutdown_grace_seconds=2,
    )
