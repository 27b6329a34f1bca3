"""The root ``leadpipe`` Typer application."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Annotated

import typer

from leadpipe_cli.dlq_cmd import _list, _retry, dlq
from leadpipe_cli.infra import infrastructure
from leadpipe_cli.plugins import register_plugin_commands
from leadpipe_cli.replay_cmd import parse_since, run_replay
from leadpipe_cli.setup_cmd import run_setup
from leadpipe_cli.up_cmd import PublicPorts, console, run_up

app = typer.Typer(
    name="leadpipe",
    help="Leadpipe: companies in proposal to strike off, their directors and e-mails, into a CRM.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(dlq, name="dlq")

NatsUrl = Annotated[
    str, typer.Option(envvar="LEADPIPE_NATS_URL", help="NATS URL.", show_default=True)
]
DatabaseUrl = Annotated[
    str,
    typer.Option(envvar="LEADPIPE_DATABASE_URL", help="Postgres URL.", show_default=False),
]
Namespace = Annotated[
    str, typer.Option(envvar="LEADPIPE_NAMESPACE", help="Stream/schema name prefix (tests).")
]


def _data_dir() -> Path:
    return Path(os.environ.get("LEADPIPE_DATA_DIR", ".data")).resolve()


@app.command()
def setup(
    nats_url: NatsUrl = "nats://127.0.0.1:4222",
    database_url: DatabaseUrl = "postgresql://postgres@127.0.0.1:5432/postgres",
    namespace: Namespace = "",
    replicas: Annotated[
        int,
        typer.Option(envvar="LEADPIPE_STREAM_REPLICAS", help="JetStream replicas per stream."),
    ] = 1,
) -> None:
    """Create or update every stream and consumer, and migrate every service schema."""
    for line in asyncio.run(run_setup(nats_url, database_url, namespace, replicas=replicas)):
        console.print(line)


@app.command()
def up(
    ops_base_port: Annotated[
        int, typer.Option(help="Ops port of the first service; the others follow.")
    ] = 9101,
    http_port: Annotated[int, typer.Option(help="query-api: REST API and dashboard.")] = 8000,
    webhook_port: Annotated[int, typer.Option(help="webhook-receiver.")] = 8090,
) -> None:
    """Run the whole pipeline on this machine (embedded NATS/Postgres unless URLs are set)."""
    data_dir = _data_dir()
    data_dir.mkdir(parents=True, exist_ok=True)
    with infrastructure(data_dir) as infra:
        code = asyncio.run(
            run_up(infra, data_dir, ops_base_port, PublicPorts(http_port, webhook_port))
        )
    raise typer.Exit(code)


@app.command("replay")
def replay_command(
    service: Annotated[str, typer.Argument(help="Service whose consumers receive the history.")],
    since: Annotated[
        str | None, typer.Option(help="ISO 8601 time, or relative like 30m, 2h, 7d.")
    ] = None,
    from_seq: Annotated[int | None, typer.Option(help="First stream sequence to replay.")] = None,
    subject: Annotated[
        str | None, typer.Option(help="Only the consumers that receive this subject.")
    ] = None,
    nats_url: NatsUrl = "nats://127.0.0.1:4222",
    namespace: Namespace = "",
) -> None:
    """Re-deliver history to a service's consumers; being idempotent, its state ends identical."""
    if (since is None) == (from_seq is None):
        raise typer.BadParameter("give exactly one of --since or --from-seq")
    try:
        moment = parse_since(since) if since is not None else None
        results = asyncio.run(
            run_replay(
                nats_url,
                namespace,
                service,
                since=moment,
                from_sequence=from_seq,
                subject=subject,
            )
        )
    except (ValueError, KeyError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    for result in results:
        where = f"from sequence {result.sequence}" if result.sequence else "nothing to replay"
        console.print(f"{result.durable} on {result.stream}: {where}")


@dlq.command("list")
def dlq_list(
    nats_url: NatsUrl = "nats://127.0.0.1:4222",
    namespace: Namespace = "",
    consumer: Annotated[str | None, typer.Option(help="Only this durable consumer.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many records.")] = 1_000,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List dead-lettered messages with their consumer, subject and error."""
    asyncio.run(_list(nats_url, namespace, consumer, limit, as_json))


@dlq.command("retry")
def dlq_retry(
    sequences: Annotated[
        list[int] | None, typer.Argument(help="Dead-letter sequence numbers.")
    ] = None,
    nats_url: NatsUrl = "nats://127.0.0.1:4222",
    namespace: Namespace = "",
    consumer: Annotated[str | None, typer.Option(help="With --all: only this consumer.")] = None,
    retry_all: Annotated[bool, typer.Option("--all", help="Retry every dead letter.")] = False,
) -> None:
    """Republish dead-lettered messages to their original subjects and remove the records."""
    if not sequences and not retry_all:
        raise typer.BadParameter("give sequence numbers or --all")
    count = asyncio.run(_retry(nats_url, namespace, sequences or [], consumer, retry_all))
    console.print(f"{count} dead letter(s) retried")


register_plugin_commands(app)


def main() -> None:
    """Console-script entry point."""
    app()
