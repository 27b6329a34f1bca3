"""``leadpipe dlq list|retry``: inspect and re-drive dead-lettered messages."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import msgspec
import typer
from nats.aio.client import Client as NatsClient
from rich.console import Console
from rich.table import Table

from leadpipe_bus import (
    ConnectionState,
    Publisher,
    Topology,
    connect,
    list_dead_letters,
    retry_dead_letter,
)

dlq = typer.Typer(help="Inspect and retry dead-lettered messages.", no_args_is_help=True)
console = Console()


@contextlib.asynccontextmanager
async def _client(nats_url: str) -> AsyncIterator[NatsClient]:
    state = ConnectionState()
    client = await connect(nats_url, name="leadpipe-dlq", state=state, initial_timeout=10)
    try:
        yield client
    finally:
        state.closing = True
        await client.close()


async def _list(
    nats_url: str, namespace: str, consumer: str | None, limit: int, as_json: bool
) -> None:
    async with _client(nats_url) as client:
        topology = Topology(namespace)
        records = await list_dead_letters(
            client.jetstream(), topology.stream_name("DEADLETTER"), consumer=consumer, limit=limit
        )
    if as_json:
        for sequence, record in records:
            line = msgspec.json.encode({"seq": sequence, **msgspec.to_builtins(record)})
            typer.echo(line.decode())
        return
    table = Table(title=f"{len(records)} dead letter(s)")
    for column in ("seq", "consumer", "subject", "stream seq", "deliveries", "error"):
        table.add_column(column)
    for sequence, record in records:
        table.add_row(
            str(sequence),
            record.consumer,
            record.subject,
            str(record.stream_sequence),
            str(record.deliveries),
            record.error,
        )
    console.print(table)


async def _retry(
    nats_url: str, namespace: str, sequences: list[int], consumer: str | None, retry_all: bool
) -> int:
    async with _client(nats_url) as client:
        js = client.jetstream()
        topology = Topology(namespace)
        stream = topology.stream_name("DEADLETTER")
        if retry_all:
            sequences = [seq for seq, _ in await list_dead_letters(js, stream, consumer=consumer)]
        publisher = Publisher(js, topology, "leadpipe-dlq")
        for sequence in sequences:
            await retry_dead_letter(js, publisher, stream, sequence)
            console.print(f"retried dead letter {sequence}")
        return len(sequences)
