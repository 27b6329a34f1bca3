"""The NATS server a benchmark runs against, with the fsync policy made explicit.

``LEADPIPE_BENCH_NATS_SYNC=always`` (the default) is the deployments' setting: every
acknowledged publish is fsynced, so publish throughput is bounded by the disk's fsync rate.
``LEADPIPE_BENCH_NATS_SYNC=default`` leaves the server's own interval (fsync every 2 minutes),
which shows what the client side achieves when the disk is not the limit.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from leadpipe_embedded import EmbeddedNats


class _DefaultSyncNats(EmbeddedNats):
    def _write_config(self) -> Path:
        config = super()._write_config()
        config.write_text(config.read_text().replace("  sync_interval: always\n", ""))
        return config


def sync_mode() -> str:
    """``always`` or ``default``."""
    mode = os.environ.get("LEADPIPE_BENCH_NATS_SYNC", "always")
    if mode not in ("always", "default"):
        raise ValueError("LEADPIPE_BENCH_NATS_SYNC must be 'always' or 'default'")
    return mode


@contextlib.contextmanager
def broker(work_dir: Path, mode: str | None = None) -> Iterator[str]:
    """Start a NATS JetStream server for a benchmark (``mode``: default ``sync_mode()``)."""
    server = (EmbeddedNats if (mode or sync_mode()) == "always" else _DefaultSyncNats)(work_dir)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
