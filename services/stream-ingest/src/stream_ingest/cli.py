"""``leadpipe bulk-import``: load a BasicCompanyData snapshot (a command of stream-ingest)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import msgspec
import typer

from leadpipe_bus import ConnectionState, Publisher, Topology, apply_topology, connect
from leadpipe_db import Database
from leadpipe_runtime import configure_logging, load_settings, secrets_of
from stream_ingest.bootstrap import definition
from stream_ingest.bulk import HeaderError, ImportSummary, resolve_snapshot, run_import
from stream_ingest.bulk.importer import Progress
from stream_ingest.bulk.source import SourceError, download
from stream_ingest.settings import Settings

log = logging.getLogger(__name__)


async def bulk_import(
    settings: Settings,
    target: str,
    *,
    all_rows: bool = False,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
    download_dir: Path | None = None,
) -> ImportSummary:
    """Import a snapshot from a path (file, directory of parts, glob) or an http(s) URL."""
    if target.startswith(("http://", "https://")):
        directory = download_dir or Path(tempfile.mkdtemp(prefix="leadpipe-bulk-"))
        await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
        target = str(await download(target, directory))
    snapshot = resolve_snapshot(target, as_of)
    state = ConnectionState()
    client = await connect(settings.nats_url, name="leadpipe-bulk-import", state=state)
    db = Database(
        settings.database_url.reveal(),
        definition.schema(settings.namespace),
        application_name="leadpipe-bulk-import",
    )
    try:
        js = client.jetstream()
        topology = Topology(settings.namespace)
        await apply_topology(js, topology, consumers=())
        await db.open(timeout=60)
        await db.migrate([definition.migrations] if definition.migrations else [])
        publisher = Publisher(js, topology, definition.name)
        return await run_import(
            db, client, publisher, snapshot, all_rows=all_rows, progress=progress
        )
    finally:
        await db.close()
        state.closing = True
        await client.close()


def register(app: typer.Typer) -> None:
    """Add ``bulk-import`` to the ``leadpipe`` command."""

    @app.command("bulk-import")
    def bulk_import_command(
        path_or_url: Annotated[
            str, typer.Argument(help="A CSV or zip, a directory or glob of partN_M files, a URL.")
        ],
        all_rows: Annotated[
            bool, typer.Option("--all", help="Load every company, not only strike-off ones.")
        ] = False,
        as_of: Annotated[
            str | None,
            typer.Option("--as-of", help="Snapshot date YYYY-MM-DD (default: from the name)."),
        ] = None,
    ) -> None:
        """Import a BasicCompanyData snapshot; prints a one-line JSON summary."""
        try:
            settings = load_settings(Settings)
            day = dt.date.fromisoformat(as_of) if as_of else None
        except (ValueError, msgspec.ValidationError) as exc:
            typer.echo(f"bulk-import: {exc}", err=True)
            raise typer.Exit(2) from exc
        # Quarantined rows, replaced bytes and phase timings are logged with their context, as
        # the service logs (JSON lines on stderr; the summary alone goes to stdout).
        configure_logging(definition.name, settings.log_level, secrets=secrets_of(settings))
        try:
            summary = asyncio.run(_with_progress(settings, path_or_url, all_rows, day))
        except (HeaderError, SourceError) as exc:
            typer.echo(f"bulk-import: {exc}", err=True)
            raise typer.Exit(2) from exc
        typer.echo(summary.to_json())


async def _with_progress(
    settings: Settings, target: str, all_rows: bool, as_of: dt.date | None
) -> ImportSummary:
    if not sys.stderr.isatty():
        return await bulk_import(settings, target, all_rows=all_rows, as_of=as_of)
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]bulk-import"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task("import", total=None, rows=0)

        def update(done: int, total: int, rows: int) -> None:
            bar.update(task, completed=done, total=total, rows=rows)

        return await bulk_import(settings, target, all_rows=all_rows, as_of=as_of, progress=update)
