"""Commands officer-fetcher adds to ``leadpipe``: ``backfill officers`` and ``stats``.

``backfill officers`` creates a backfill job (or resumes the unfinished one) in officer-fetcher's
schema; the running service queues its requests and records the answers. The command follows
the job's progress on the terminal; Ctrl-C pauses the job (run the command again to resume it),
``--detach`` returns at once.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from leadpipe_bus import Publisher, Topology, connect
from leadpipe_contracts import utcnow
from leadpipe_contracts.jobs import JobAction, JobCommand, JobState
from leadpipe_db import Database
from officer_fetcher import backfill, stats
from officer_fetcher.bootstrap import definition

console = Console(stderr=True)
SERVICE = "officer-fetcher"

NatsUrl = Annotated[str, typer.Option(envvar="LEADPIPE_NATS_URL", help="NATS URL.")]
DatabaseUrl = Annotated[
    str, typer.Option(envvar="LEADPIPE_DATABASE_URL", help="Postgres URL.", show_default=False)
]
Namespace = Annotated[
    str, typer.Option(envvar="LEADPIPE_NAMESPACE", help="Stream/schema name prefix (tests).")
]
_FINISHED = (JobState.COMPLETED, JobState.CANCELLED, JobState.FAILED)


async def _database(database_url: str, namespace: str) -> Database:
    db = Database(database_url, definition.schema(namespace), application_name="leadpipe-cli")
    await db.open(timeout=30)
    await db.migrate([definition.migrations] if definition.migrations else [])
    return db


async def send_command(nats_url: str, namespace: str, job_id: str, action: JobAction) -> None:
    """Publish a JobCommand for one of officer-fetcher's jobs."""
    client = await connect(nats_url, name="leadpipe-backfill", initial_timeout=10)
    try:
        publisher = Publisher(client.jetstream(), Topology(namespace), "leadpipe-cli")
        await publisher.publish(
            JobCommand(
                event_id=uuid.uuid4().hex,
                occurred_at=utcnow(),
                job_id=job_id,
                service=SERVICE,
                action=action,
                requested_by="leadpipe backfill officers",
            )
        )
    finally:
        await client.close()


async def start_backfill(
    database_url: str,
    nats_url: str,
    namespace: str,
    *,
    order: backfill.Order,
    limit: int | None,
    cutoff: int | None,
    window: int,
) -> tuple[str, bool]:
    """Create a backfill job, or resume the unfinished one.

    Returns:
        (job id, whether an existing job was resumed).
    """
    db = await _database(database_url, namespace)
    try:
        async with db.transaction() as connection:
            job = await backfill.unfinished_job(connection)
            if job is None:
                job_id = await backfill.create_job(
                    connection, order=order, limit=limit, cutoff=cutoff, window=window, now=utcnow()
                )
                return job_id, False
    finally:
        await db.close()
    if job["state"] == JobState.PAUSED:
        await send_command(nats_url, namespace, job["job_id"], JobAction.RESUME)
    return str(job["job_id"]), True


async def follow(
    database_url: str, namespace: str, job_id: str, *, interval: float = 1.0
) -> backfill.Progress:
    """Show a job's progress until it finishes (a bar on a terminal, lines otherwise)."""
    db = await _database(database_url, namespace)
    columns = (
        TextColumn("officers [{task.fields[state]}]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("queued {task.fields[queued]} · remaining {task.fields[remaining]}"),
        TextColumn("· {task.fields[eta]}"),
    )
    try:
        with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
            task = bar.add_task(
                "backfill", total=None, state="?", queued=0, remaining="?", eta="ETA ?"
            )
            while True:
                async with db.transaction() as connection:
                    current = await backfill.progress(connection, job_id, utcnow())
                eta = (
                    f"ETA {current.eta_seconds / 60:.1f} min"
                    if current.eta_seconds is not None
                    else "ETA ?"
                )
                bar.update(
                    task,
                    total=current.total,
                    completed=current.done,
                    state=str(current.state),
                    queued=current.queued,
                    remaining=current.remaining,
                    eta=eta,
                )
                if not console.is_terminal:
                    console.print(_line(current))
                if current.state in _FINISHED:
                    return current
                await asyncio.sleep(interval)
    finally:
        await db.close()


def _line(current: backfill.Progress) -> str:
    return json.dumps(
        {
            "job_id": current.job_id,
            "state": str(current.state),
            "done": current.done,
            "queued": current.queued,
            "remaining": current.remaining,
            "failed": current.failed,
            "rate_per_second": current.rate_per_second,
            "eta_seconds": current.eta_seconds,
        }
    )


def register(app: typer.Typer) -> None:
    """Add ``backfill officers`` and ``stats`` to the ``leadpipe`` command."""
    group = typer.Typer(help="Fill gaps in what the pipeline has fetched.", no_args_is_help=True)

    @group.command("officers")
    def officers(
        limit: Annotated[int | None, typer.Option(help="Queue at most N companies.")] = None,
        order: Annotated[
            backfill.Order, typer.Option(help="newest entries first, or best lead score first.")
        ] = backfill.Order.NEWEST,
        cutoff: Annotated[
            int | None,
            typer.Option(help="Only the first N strike-off companies in this order."),
        ] = None,
        window: Annotated[
            int, typer.Option(help="Most requests of this backfill outstanding at once.")
        ] = 200,
        detach: Annotated[bool, typer.Option(help="Start and return; do not follow.")] = False,
        nats_url: NatsUrl = "nats://127.0.0.1:4222",
        database_url: DatabaseUrl = "postgresql://postgres@127.0.0.1:5432/postgres",
        namespace: Namespace = "",
    ) -> None:
        """Fetch the officers of every strike-off company that has none, at low priority."""
        job_id, resumed = asyncio.run(
            start_backfill(
                database_url,
                nats_url,
                namespace,
                order=order,
                limit=limit,
                cutoff=cutoff,
                window=window,
            )
        )
        console.print(f"{'resumed' if resumed else 'started'} backfill job {job_id}")
        if detach:
            return
        try:
            final = asyncio.run(follow(database_url, namespace, job_id))
        except KeyboardInterrupt:
            asyncio.run(send_command(nats_url, namespace, job_id, JobAction.PAUSE))
            console.print(f"backfill {job_id} paused; run the command again to resume it")
            raise typer.Exit(130) from None
        console.print(_line(final))

    app.add_typer(group, name="backfill")

    @app.command("stats")
    def stats_command(
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
        nats_url: NatsUrl = "nats://127.0.0.1:4222",
        database_url: DatabaseUrl = "postgresql://postgres@127.0.0.1:5432/postgres",
        namespace: Namespace = "",
    ) -> None:
        """Pipeline progress: strike-off companies, officers, domains, e-mails, CRM, quota."""
        figures = asyncio.run(gather_stats(database_url, nats_url, namespace))
        if as_json:
            print(json.dumps(figures))
            return
        table = Table(title="Leadpipe pipeline")
        table.add_column("stage")
        table.add_column("value", justify="right")
        for name, value in figures.items():
            table.add_row(name.replace("_", " "), "-" if value is None else str(value))
        Console().print(table)


async def gather_stats(database_url: str, nats_url: str, namespace: str) -> dict[str, object]:
    """The figures ``leadpipe stats`` prints, by name."""
    db = await _database(database_url, namespace)
    client = await connect(nats_url, name="leadpipe-stats", initial_timeout=10)
    try:
        figures = await stats.collect(db, client.jetstream(), Topology(namespace))
    finally:
        await client.close()
        await db.close()
    quota = (
        f"{figures.gateway_used} / {figures.gateway_limit} per {figures.gateway_window_seconds:g} s"
        if figures.gateway_limit is not None and figures.gateway_window_seconds is not None
        else None
    )
    return {
        "companies_in_strike_off": figures.in_strike_off,
        "with_officers": figures.with_officers,
        "with_active_individual_director": figures.with_individual_director,
        "officers_stored": figures.officers_stored,
        "with_domain": figures.with_domain,
        "with_email": figures.with_email,
        "synced_to_crm": figures.synced_to_crm,
        "gateway_quota_used": quota,
        "gateway_breaker": figures.gateway_breaker,
        "gateway_queue": ", ".join(f"{k} {v}" for k, v in sorted(figures.gateway_queue.items()))
        or "empty",
    }
