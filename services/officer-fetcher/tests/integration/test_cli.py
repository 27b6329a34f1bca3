"""The commands officer-fetcher adds to ``leadpipe``, run as an operator runs them."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from officer_fetcher.cli import register

pytestmark = pytest.mark.integration


def test_backfill_detaches_and_resumes_the_unfinished_job_and_stats_print_json(
    nats_url: str, database_url: str, namespace: str
) -> None:
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    where = ["--nats-url", nats_url, "--database-url", database_url, "--namespace", namespace]

    first = runner.invoke(app, ["backfill", "officers", "--detach", "--limit", "5", *where])
    assert first.exit_code == 0, first.output
    assert "started backfill job" in first.output
    again = runner.invoke(app, ["backfill", "officers", "--detach", *where])
    assert again.exit_code == 0, again.output
    assert "resumed backfill job" in again.output
    assert first.output.split()[-1] == again.output.split()[-1]

    stats = runner.invoke(app, ["stats", "--json", *where])
    assert stats.exit_code == 0, stats.output
    figures = json.loads(stats.stdout)
    assert figures["companies_in_strike_off"] == 0
    assert figures["with_officers"] == 0
    assert figures["gateway_quota_used"] is None
