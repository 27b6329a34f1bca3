"""Free TCP port discovery and readiness waiting on loopback."""

from __future__ import annotations

import socket
import time


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port that was free a moment ago.

    Servers here are given a fixed port (rather than port 0) so that a restarted server comes
    back on the same address and clients can reconnect to it.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(host: str, port: int, timeout: float, alive: object = None) -> None:
    """Block until something accepts TCP connections on ``host:port``.

    Args:
        host: Address to connect to.
        port: Port to connect to.
        timeout: Seconds to wait before giving up.
        alive: Optional callable returning False once the server process has died, so a crashed
            start fails at once instead of after the timeout.

    Raises:
        TimeoutError: Nothing listened in time, or the process died.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(alive) and not alive():
            raise TimeoutError(f"server process exited before listening on {host}:{port}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listened on {host}:{port} within {timeout:.0f}s")
