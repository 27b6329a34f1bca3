"""Where test infrastructure comes from: explicit URLs, testcontainers, or embedded servers."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from leadpipe_embedded import EmbeddedNats, EmbeddedPostgres

log = logging.getLogger(__name__)

NATS_URL_ENV = "LEADPIPE_TEST_NATS_URL"
DATABASE_URL_ENV = "LEADPIPE_TEST_DATABASE_URL"


def docker_engine_answers() -> bool:
    """Whether a Docker engine responds to ``GET /_ping`` (the Docker client alone is not enough).

    Probed with a plain socket so that a missing engine costs one failed connect and leaves no
    client object behind.
    """
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    address: str | tuple[str, int]
    try:
        if host.startswith("unix://"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            address = host.removeprefix("unix://")
        elif host.startswith("tcp://"):
            name, _, port = host.removeprefix("tcp://").partition(":")
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            address = (name, int(port or 2375))
        else:
            return False
        with sock:
            sock.settimeout(2)
            sock.connect(address)
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return b" 200 " in sock.recv(256)
    except OSError:
        return False


@contextlib.contextmanager
def nats_server(work_dir: Path) -> Iterator[str]:
    """Yield a NATS JetStream URL for the test session, by the documented order of preference."""
    if url := os.environ.get(NATS_URL_ENV):
        yield url
        return
    if docker_engine_answers():
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.waiting_utils import wait_for_logs

        container = DockerContainer("nats:2.15-alpine").with_command("-js").with_exposed_ports(4222)
        with container:
            wait_for_logs(container, "Server is ready", timeout=60)
            host, port = container.get_container_host_ip(), container.get_exposed_port(4222)
            yield f"nats://{host}:{port}"
        return
    server = EmbeddedNats(work_dir / "nats")
    try:
        yield server.start()
    finally:
        server.stop()


@contextlib.contextmanager
def postgres_server(work_dir: Path) -> Iterator[str]:
    """Yield a Postgres URL for the test session, by the documented order of preference."""
    if url := os.environ.get(DATABASE_URL_ENV):
        yield url
        return
    if docker_engine_answers():
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:16-alpine", driver=None)
        with container:
            yield container.get_connection_url()
        return
    server = EmbeddedPostgres(work_dir / "postgres")
    try:
        yield server.start()
    finally:
        server.stop()
