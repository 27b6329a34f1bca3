"""Simulators for the external APIs whose keys are not configured, for ``leadpipe up``.

With no ``LEADPIPE_CH_API_KEY`` the Companies House REST and Streaming simulators run (with a
live stream of realistic events); with no ``LEADPIPE_SNOV_CLIENT_ID`` the Snov.io simulator;
with no ``LEADPIPE_GHL_TOKEN`` the GoHighLevel simulator. Each runs as a supervised child process
and the services are given its URL and generated credentials, so the services' real clients talk
to them exactly as they would to the real APIs. Credentials are kept in the data directory so a
restart keeps using the same ones.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

from leadpipe_cli.supervisor import Child
from leadpipe_embedded import free_port


@dataclasses.dataclass
class Simulated:
    """Simulator processes to run, and the settings that point the services at them."""

    children: list[Child] = dataclasses.field(default_factory=list)
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)


_CREDENTIALS = (
    "ch_rest_key",
    "ch_stream_key",
    "snov_id",
    "snov_secret",
    "ghl_token",
    "webhook_secret",
    "jwt_secret",
    "dashboard_password",
)


def _credentials(data_dir: Path) -> dict[str, str]:
    """Generated credentials of this data directory, created (or completed) on first use."""
    path = data_dir / "simulator-credentials.json"
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [name for name in (*_CREDENTIALS, "ghl_location") if name not in stored]
    if not missing:
        return stored
    for name in missing:
        stored[name] = (
            "loc-" + secrets.token_hex(6) if name == "ghl_location" else secrets.token_urlsafe(36)
        )
    path.write_text(json.dumps(stored))
    path.chmod(0o600)
    return stored


def dashboard_password(data_dir: Path) -> str:
    """The generated password of the local ``admin`` dashboard user (kept with the credentials)."""
    return _credentials(data_dir)["dashboard_password"]


def _child(name: str, args: list[str], data_dir: Path, environ: Mapping[str, str]) -> Child:
    return Child(
        name=name,
        argv=[sys.executable, "-m", "leadpipe_simulators", *args],
        env=dict(environ),
        log_path=data_dir / "logs" / f"{name}.log",
    )


def simulators_for_missing_keys(environ: Mapping[str, str], data_dir: Path) -> Simulated:
    """Decide which simulators to run from the keys present in ``environ``."""
    result = Simulated()
    creds = _credentials(data_dir)
    if not environ.get("LEADPIPE_WEBHOOK_SECRET"):
        result.env["LEADPIPE_WEBHOOK_SECRET"] = creds["webhook_secret"]
    if not environ.get("LEADPIPE_JWT_SECRET"):
        result.env["LEADPIPE_JWT_SECRET"] = creds["jwt_secret"]
    if not environ.get("LEADPIPE_CH_API_KEY"):
        rest, stream = free_port(), free_port()
        result.children.append(
            _child(
                "companies-house-sim",
                [
                    "companies-house",
                    "--rest-port",
                    str(rest),
                    "--stream-port",
                    str(stream),
                    "--rest-key",
                    creds["ch_rest_key"],
                    "--stream-key",
                    creds["ch_stream_key"],
                    "--size",
                    "20000",
                    "--live-rate",
                    "1",
                ],
                data_dir,
                environ,
            )
        )
        result.env |= {
            "LEADPIPE_CH_API_URL": f"http://127.0.0.1:{rest}",
            "LEADPIPE_CH_API_KEY": creds["ch_rest_key"],
            "LEADPIPE_CH_STREAM_URL": f"http://127.0.0.1:{stream}",
            "LEADPIPE_CH_STREAM_KEY": creds["ch_stream_key"],
        }
        result.notes.append(f"Companies House simulator: REST :{rest}, stream :{stream}")
    if not environ.get("LEADPIPE_SNOV_CLIENT_ID"):
        port = free_port()
        result.children.append(
            _child(
                "snov-sim",
                [
                    "snov",
                    "--port",
                    str(port),
                    "--client-id",
                    creds["snov_id"],
                    "--client-secret",
                    creds["snov_secret"],
                ],
                data_dir,
                environ,
            )
        )
        result.env |= {
            "LEADPIPE_SNOV_API_URL": f"http://127.0.0.1:{port}",
            "LEADPIPE_SNOV_CLIENT_ID": creds["snov_id"],
            "LEADPIPE_SNOV_CLIENT_SECRET": creds["snov_secret"],
        }
        result.notes.append(f"Snov.io simulator: :{port}")
    if not environ.get("LEADPIPE_GHL_TOKEN"):
        port = free_port()
        result.children.append(
            _child(
                "ghl-sim",
                [
                    "ghl",
                    "--port",
                    str(port),
                    "--token",
                    creds["ghl_token"],
                    "--location-id",
                    creds["ghl_location"],
                ],
                data_dir,
                environ,
            )
        )
        result.env |= {
            "LEADPIPE_GHL_API_URL": f"http://127.0.0.1:{port}",
            "LEADPIPE_GHL_TOKEN": creds["ghl_token"],
            "LEADPIPE_GHL_LOCATION_ID": creds["ghl_location"],
        }
        result.notes.append(f"GoHighLevel simulator: :{port}")
    return result
