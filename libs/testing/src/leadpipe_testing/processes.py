"""Services (or simulators) run as real OS processes, for tests that crash and restart them.

An in-process ``Service`` cannot be killed abruptly: cancelling its tasks still runs ``finally``
blocks and closes sockets politely. A ``ServiceProcess`` is ``python -m <module>`` with its own
environment, its log appended to one file across restarts, and its ops port fixed so readiness
can be probed before and after a crash.

    process = ServiceProcess("crm-sync", "crm_sync", env, log_dir / "crm-sync.log", ops_port)
    await process.start()
    await poll_until(process.ready, timeout=60)
    await process.kill()        # SIGKILL: no shutdown code runs
    await process.start()       # a new incarnation, same settings and ports
    await process.stop()        # SIGTERM, then SIGKILL after the timeout
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from leadpipe_testing.ops import is_ready


@dataclasses.dataclass
class ServiceProcess:
    """One service run with ``python -m module``; started, killed and restarted by a test.

    Attributes:
        name: The service's name (used in figures and log lines).
        module: What ``python -m`` runs.
        env: The complete environment of the process (nothing is inherited implicitly).
        log_path: stdout and stderr of every incarnation, appended.
        ops_port: The port of ``/readyz``; the same for every incarnation.
        args: Arguments after the module name.
        starts: Incarnations started so far.
        kills: SIGKILLs delivered so far.
        exit_codes: Exit status of each incarnation that ended (negative: killed by a signal).
        crashes: Incarnations that ended by themselves (neither killed nor stopped here).
    """

    name: str
    module: str
    env: Mapping[str, str]
    log_path: Path
    ops_port: int
    args: Sequence[str] = ()
    starts: int = 0
    kills: int = 0
    exit_codes: list[int] = dataclasses.field(default_factory=list)
    crashes: int = 0
    _on_purpose: bool = dataclasses.field(default=False, repr=False)
    _process: asyncio.subprocess.Process | None = dataclasses.field(default=None, repr=False)

    @property
    def running(self) -> bool:
        """Whether an incarnation is alive."""
        return self._process is not None and self._process.returncode is None

    @property
    def crashed(self) -> bool:
        """Whether the last incarnation ended by itself (a supervisor would restart it)."""
        return (
            self._process is not None
            and self._process.returncode is not None
            and not self._on_purpose
        )

    @property
    def pid(self) -> int | None:
        """The process id of the running incarnation."""
        return self._process.pid if self.running and self._process is not None else None

    async def start(self) -> None:
        """Start a new incarnation (the previous one must have ended)."""
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        if self.crashed and self._process is not None and self._process.returncode is not None:
            self.crashes += 1
            self.exit_codes.append(self._process.returncode)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                self.module,
                *self.args,
                env=dict(self.env),
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        self._on_purpose = False
        self.starts += 1

    async def ready(self) -> bool:
        """Whether the running incarnation answers ``/readyz`` with 200."""
        return self.running and await is_ready(self.ops_port)

    async def kill(self) -> None:
        """SIGKILL the running incarnation and reap it: a crash, no shutdown code runs."""
        process = self._process
        if process is None or process.returncode is not None:
            return
        self._on_purpose = True
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGKILL)
        self.kills += 1
        self.exit_codes.append(await process.wait())

    async def stop(self, timeout: float = 20.0) -> int | None:
        """Stop gracefully (SIGTERM); SIGKILL if it outstays ``timeout``.

        Returns:
            The exit status, or None when nothing was running.
        """
        process = self._process
        if process is None or process.returncode is not None:
            return None
        self._on_purpose = True
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGKILL)
            code = await process.wait()
        self.exit_codes.append(code)
        return code

    def log_tail(self, characters: int = 3_000) -> str:
        """The end of the log, for failure messages."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-characters:]
