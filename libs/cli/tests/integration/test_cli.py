"""The leadpipe command: setup is idempotent, dlq lists and retries dead letters."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from typer.testing import CliRunner

from leadpipe_bus import SERVICES, DeadLetterWriter, Publisher, Topology, apply_topology, connect
from leadpipe_cli.app import app
from leadpipe_contracts import utcnow
from leadpipe_contracts.companies import CompanyRecheckRequested

pytestmark = pytest.mark.integration
runner = CliRunner()


def test_every_command_has_help() -> None:
    for args in (
        ["--help"],
        ["setup", "--help"],
        ["up", "--help"],
        ["dlq", "list", "--help"],
        ["dlq", "retry", "--help"],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_setup_twice_declares_streams_and_migrates_every_service_schema(
    nats_url: str, database_url: str, namespace: str
) -> None:
    args = [
        "setup",
        "--nats-url",
        nats_url,
        "--database-url",
        database_url,
        "--namespace",
        namespace,
    ]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "streams: 12 declared (1 replica(s))" in first.output
    pattern = r"^([a-z-]+): schema (\w+), (\d+) migration\(s\) applied$"
    applied = re.findall(pattern, first.output, re.MULTILINE)
    assert {name for name, _, _ in applied} == set(SERVICES)
    for _, schema, count in applied:
        assert schema.startswith(namespace + "_")
        assert int(count) >= 1
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert second.output.count(" 0 migration(s) applied") == len(SERVICES)


async def _dead_letter(nats_url: str, namespace: str) -> None:
    client = await connect(nats_url, name="test", initial_timeout=10)
    try:
        topology = Topology(namespace)
        js = client.jetstream()
        await apply_topology(js, topology, consumers=[])
        publisher = Publisher(js, topology, "test")
        event = CompanyRecheckRequested(
            event_id="e1", occurred_at=utcnow(), company_number="01234567", reason="manual"
        )
        await DeadLetterWriter(publisher).record(
            consumer="crm-sync-contacts",
            stream=topology.stream_name("COMPANIES"),
            subject=topology.subject("companies.recheck"),
            stream_sequence=7,
            data=b'{"not": "decodable"}',
            headers={},
            deliveries=8,
            error="gave up after 8 deliveries: boom",
        )
        await publisher.publish(event)
    finally:
        await client.close()


def test_dlq_list_shows_and_retry_republishes_and_removes(nats_url: str, namespace: str) -> None:
    asyncio.run(_dead_letter(nats_url, namespace))
    common = ["--nats-url", nats_url, "--namespace", namespace]
    listed = runner.invoke(app, ["dlq", "list", "--json", *common])
    assert listed.exit_code == 0, listed.output
    [line] = listed.output.splitlines()
    record = json.loads(line)
    assert record["consumer"] == "crm-sync-contacts"
    assert record["error"] == "gave up after 8 deliveries: boom"
    assert record["stream_sequence"] == 7
    assert "1 dead letter(s)" in runner.invoke(app, ["dlq", "list", *common]).output
    retried = runner.invoke(app, ["dlq", "retry", "--all", *common])
    assert retried.exit_code == 0, retried.output
    assert "1 dead letter(s) retried" in retried.output
    assert "0 dead letter(s)" in runner.invoke(app, ["dlq", "list", *common]).output


def test_dlq_retry_without_sequences_or_all_is_refused() -> None:
    result = runner.invoke(app, ["dlq", "retry"])
    assert result.exit_code != 0
    assert "give sequence numbers or --all" in result.output


def test_replay_needs_exactly_one_starting_point() -> None:
    result = runner.invoke(app, ["replay", "crm-sync"])
    assert result.exit_code != 0
    assert "exactly one of --since or --from-seq" in result.output


def test_replay_resets_every_consumer_of_the_service(
    nats_url: str, database_url: str, namespace: str
) -> None:
    setup = runner.invoke(
        app,
        [
            "setup",
            "--nats-url",
            nats_url,
            "--database-url",
            database_url,
            "--namespace",
            namespace,
        ],
    )
    assert "streams: 12 declared" in setup.output
    result = runner.invoke(
        app,
        ["replay", "crm-sync", "--from-seq", "1", "--nats-url", nats_url, "--namespace", namespace],
    )
    assert result.exit_code == 0, result.output
    assert (
        f"{namespace}-crm-sync-contacts on {namespace.upper()}_CONTACTS: from sequence 1"
        in result.output
    )
