"""Infrastructure for one-machine runs: explicit URLs, or embedded servers under a data dir."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from leadpipe_embedded import EmbeddedNats, EmbeddedPostgres, free_port

NATS_URL_ENV = "LEADPIPE_NATS_URL"
DATABASE_URL_ENV = "LEADPIPE_DATABASE_URL"


@dataclasses.dataclass(frozen=True)
class Infrastructure:
    """Where NATS and Postgres are, and whether this process started them."""

    nats_url: str
    database_url: str
    embedded: tuple[str, ...]


def _port(preferred: int) -> int:
    """``preferred`` if it is free (stable URLs across runs), else any free port."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            return free_port()
    return preferred


@contextlib.contextmanager
def infrastructure(data_dir: Path) -> Iterator[Infrastructure]:
    """Use ``LEADPIPE_NATS_URL`` / ``LEADPIPE_DATABASE_URL`` when set; embed what is missing."""
    embedded: list[str] = []
    nats_url = os.environ.get(NATS_URL_ENV)
    database_url = os.environ.get(DATABASE_URL_ENV)
    nats = postgres = None
    try:
        if not nats_url:
            nats = EmbeddedNats(data_dir / "nats", port=_port(14222))
            nats_url = nats.start()
            embedded.append(f"NATS JetStream {nats_url} (store {nats.data_dir})")
        if not database_url:
            postgres = EmbeddedPostgres(data_dir / "postgres", port=_port(15432))
            database_url = postgres.start()
            embedded.append(f"Postgres {database_url} (data {postgres.data_dir})")
        yield Infrastructure(nats_url, database_url, tuple(embedded))
    finally:
        if postgres is not None:
            postgres.stop()
        if nats is not None:
            nats.stop()
