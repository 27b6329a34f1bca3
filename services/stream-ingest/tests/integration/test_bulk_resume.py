"""An interrupted import resumes: nothing lost, nothing published twice; URLs are downloaded."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web
from nats.aio.client import Client as NatsClient

from leadpipe_bus import Publisher, PublishError
from leadpipe_db import Database
from leadpipe_simulators.companies_house import write_snapshot
from stream_ingest.adapters.publishing import BatchPublisher
from stream_ingest.bulk import importer
from stream_ingest.cli import bulk_import
from stream_ingest.settings import Settings

from .conftest import read_messages

pytestmark = pytest.mark.integration


async def test_an_import_interrupted_while_publishing_resumes_without_loss_or_duplicates(
    settings: Settings,
    bus: tuple[NatsClient, Publisher],
    namespace: str,
    db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, _ = bus
    result = write_snapshot(tmp_path, rows=6_000, seed=31)
    real = BatchPublisher.publish
    calls = 0

    async def failing_after_one_batch(self: BatchPublisher, messages: object) -> None:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise PublishError("broker went away")
        await real(self, messages)  # type: ignore[arg-type]

    monkeypatch.setattr(importer, "_PUBLISH_BATCH", 100)
    monkeypatch.setattr(BatchPublisher, "publish", failing_after_one_batch)
    with pytest.raises(PublishError):
        await bulk_import(settings, str(result.path))
    async with db.pool.acquire() as connection:
        phase = await connection.fetchval("SELECT phase FROM bulk_imports")
    monkeypatch.setattr(BatchPublisher, "publish", real)

    resumed = await bulk_import(settings, str(result.path))

    entered = await read_messages(client, namespace, "companies.strikeoff.entered")
    observed = await read_messages(client, namespace, "companies.observed")
    assert phase == "applied"
    assert resumed.entered == result.strike_off_count
    ids = Counter(msg_id for msg_id, _ in entered + observed)
    assert len(ids) == 2 * result.strike_off_count
    assert max(ids.values()) == 1


async def test_a_snapshot_url_is_downloaded_then_imported(
    settings: Settings, bus: tuple[NatsClient, Publisher], tmp_path: Path
) -> None:
    result = write_snapshot(tmp_path / "served", rows=500, seed=32, zipped=True)
    app = web.Application()
    app.router.add_static("/files", tmp_path / "served")
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        summary = await bulk_import(
            settings,
            f"http://127.0.0.1:{port}/files/{result.path.name}",
            download_dir=tmp_path / "downloads",
        )
    finally:
        await runner.cleanup()
    assert (summary.rows_read, summary.entered) == (500, result.strike_off_count)
    assert (tmp_path / "downloads" / result.path.name).exists()
