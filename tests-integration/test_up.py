"""`leadpipe up` brings every service to ready on embedded infrastructure, carries real traffic
through the simulators without writing a secret to any log, and stops cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

from leadpipe_bus import SERVICES
from leadpipe_embedded import free_port
from leadpipe_testing import is_ready, poll_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def _all_ready(ports: list[int]) -> bool:
    return all([await is_ready(port) for port in ports])


@pytest.mark.timeout(240)
async def test_leadpipe_up_brings_all_seven_services_to_ready_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    base = free_port()
    while not all(_free(port) for port in range(base, base + len(SERVICES))):
        base = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEADPIPE_")}
    env["LEADPIPE_DATA_DIR"] = str(tmp_path / "data")
    leadpipe = Path(sys.executable).parent / "leadpipe"
    process = await asyncio.create_subprocess_exec(
        str(leadpipe),
        "up",
        "--ops-base-port",
        str(base),
        "--http-port",
        str(free_port()),
        "--webhook-port",
        str(free_port()),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    ports = [base + index for index in range(len(SERVICES))]
    try:
        await poll_until(lambda: _all_ready(ports), timeout=150, message="all services ready")
        # Let real traffic flow: the stream client authenticates with its key and events arrive.
        stream_ingest = f"http://127.0.0.1:{ports[0]}/metrics"
        await poll_until(
            lambda: _counter(stream_ingest, "leadpipe_stream_events_total"),
            timeout=60,
            message="stream events processed",
        )
        logs = {p.name for p in (tmp_path / "data" / "logs").iterdir()}
        assert {f"{name}.log" for name in SERVICES} <= logs
        # No API keys in the environment: every external API is simulated.
        assert {"companies-house-sim.log", "snov-sim.log", "ghl-sim.log"} <= logs
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    text = output.decode()
    assert process.returncode == 0, text
    assert "all services ready" in text
    assert "dashboard: http://127.0.0.1:" in text
    assert "stopped" in text
    for name in SERVICES:
        log = (tmp_path / "data" / "logs" / f"{name}.log").read_text()
        assert '"msg":"stopped","exit_code":0' in log, (
            f"{name} did not stop cleanly:\n{log[-2000:]}"
        )
    credentials = json.loads((tmp_path / "data" / "simulator-credentials.json").read_text())
    secrets = {key: value for key, value in credentials.items() if key != "ghl_location"}
    for log_file in (tmp_path / "data" / "logs").iterdir():
        text = log_file.read_text()
        leaked = [key for key, value in secrets.items() if value in text]
        assert not leaked, f"{log_file.name} contains {leaked}"


async def _counter(url: str, name: str) -> float:
    """Sum of a Prometheus counter's samples at ``url`` (0 when unreachable)."""
    try:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            text = await response.text()
    except aiohttp.ClientError:
        return 0.0
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((name + "{", name + " "))
    )


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
