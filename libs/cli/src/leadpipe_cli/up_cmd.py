"""``leadpipe up``: the whole pipeline on one machine.

Uses ``LEADPIPE_NATS_URL`` / ``LEADPIPE_DATABASE_URL`` when set, otherwise embedded NATS and
Postgres under the data directory; applies setup; starts every installed service as a
supervised child process with its log in ``<data dir>/logs``; waits for each to be ready;
and stops everything cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sys
import time
from pathlib import Path

import aiohttp
from rich.console import Console
from rich.table import Table

from leadpipe_cli.infra import Infrastructure
from leadpipe_cli.plugins import service_definitions, service_module
from leadpipe_cli.setup_cmd import run_setup
from leadpipe_cli.simulated import Simulated, dashboard_password, simulators_for_missing_keys
from leadpipe_cli.supervisor import Child, Supervisor

console = Console(stderr=True)


@dataclasses.dataclass(frozen=True)
class PublicPorts:
    """The two public HTTP ports of a one-machine run."""

    api: int = 8000
    webhooks: int = 8090


def _per_service_env(name: str, ports: PublicPorts) -> dict[str, str]:
    """Settings that differ between services sharing one environment."""
    if name == "query-api":
        return {"LEADPIPE_HTTP_PORT": str(ports.api)}
    if name == "webhook-receiver":
        return {"LEADPIPE_HTTP_PORT": str(ports.webhooks)}
    if name == "snov-enricher" and not os.environ.get("LEADPIPE_PUBLIC_WEBHOOK_URL"):
        return {"LEADPIPE_PUBLIC_WEBHOOK_URL": f"http://127.0.0.1:{ports.webhooks}"}
    return {}


def build_children(
    infra: Infrastructure,
    data_dir: Path,
    ops_base_port: int,
    simulated: Simulated,
    ports: PublicPorts,
) -> list[Child]:
    """One child per installed service, each with its own ops port and log file."""
    children: list[Child] = []
    for index, (name, definition) in enumerate(service_definitions().items()):
        port = ops_base_port + index
        env = {
            **os.environ,
            **simulated.env,
            "LEADPIPE_NATS_URL": infra.nats_url,
            "LEADPIPE_DATABASE_URL": infra.database_url,
            "LEADPIPE_OPS_HOST": "127.0.0.1",
            "LEADPIPE_OPS_PORT": str(port),
            **_per_service_env(name, ports),
        }
        children.append(
            Child(
                name=name,
                argv=[sys.executable, "-m", service_module(definition)],
                env=env,
                log_path=data_dir / "logs" / f"{name}.log",
                ops_port=port,
            )
        )
    return children


async def _ready(session: aiohttp.ClientSession, port: int) -> bool:
    try:
        async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def wait_until_ready(children: list[Child], timeout: float) -> dict[str, bool]:
    """Poll every child's /readyz until all answer 200 or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    ready = {child.name: False for child in children}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while time.monotonic() < deadline and not all(ready.values()):
            for child in children:
                if not ready[child.name] and child.ops_port is not None:
                    ready[child.name] = await _ready(session, child.ops_port)
            await asyncio.sleep(0.25)
    return ready


async def create_dashboard_login(database_url: str, password: str) -> bool:
    """Create (or reset) the ``admin`` dashboard user through query-api's own command."""
    leadpipe = Path(sys.executable).parent / "leadpipe"
    process = await asyncio.create_subprocess_exec(
        str(leadpipe),
        "users",
        "add",
        "admin",
        "--role",
        "admin",
        env={
            **os.environ,
            "LEADPIPE_DATABASE_URL": database_url,
            "LEADPIPE_NEW_USER_PASSWORD": password,
        },
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, error = await process.communicate()
    if process.returncode != 0:
        console.print(f"[red]could not create the dashboard login:[/red] {error.decode()[-500:]}")
    return process.returncode == 0


async def run_up(
    infra: Infrastructure, data_dir: Path, ops_base_port: int, ports: PublicPorts
) -> int:
    """Run until interrupted; returns the process exit code."""
    for line in infra.embedded:
        console.print(f"[green]embedded[/green] {line}")
    for line in await run_setup(infra.nats_url, infra.database_url):
        console.print(f"[green]setup[/green] {line}")
    simulated = simulators_for_missing_keys(os.environ, data_dir)
    for line in simulated.notes:
        console.print(f"[yellow]simulated[/yellow] {line} (no API key configured)")
    children = build_children(infra, data_dir, ops_base_port, simulated, ports)
    login = "query-api" in service_definitions() and await create_dashboard_login(
        infra.database_url, dashboard_password(data_dir)
    )
    supervisor = Supervisor([*simulated.children, *children])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    supervisor.start()
    try:
        ready = await wait_until_ready(children, timeout=120)
        table = Table(title="Leadpipe services")
        for column in ("service", "ready", "ops port", "log"):
            table.add_column(column)
        for child in children:
            state = "[green]yes[/green]" if ready[child.name] else "[red]no[/red]"
            table.add_row(child.name, state, str(child.ops_port), str(child.log_path))
        console.print(table)
        if all(ready.values()):
            console.print("[bold green]all services ready[/bold green] — Ctrl-C stops everything")
            if login:
                console.print(
                    f"dashboard: http://127.0.0.1:{ports.api}/  login: admin / "
                    f"{dashboard_password(data_dir)}  (API docs: /docs)"
                )
        else:
            console.print("[bold red]some services are not ready[/bold red]; see their logs")
        await stop.wait()
    finally:
        console.print("stopping services …")
        await supervisor.stop()
    console.print("stopped")
    return 0
