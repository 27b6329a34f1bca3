"""The Kubernetes manifests are valid against the Kubernetes API schemas and complete."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from leadpipe_bus import SERVICES

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "deploy" / "k8s" / "base"
OVERLAY = ROOT / "deploy" / "k8s" / "overlays" / "production"
KUBERNETES_VERSION = "1.31"


def _base_documents() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text())
    documents: list[dict[str, Any]] = []
    for resource in kustomization["resources"]:
        documents.extend(d for d in yaml.safe_load_all((BASE / resource).read_text()) if d)
    return documents


def _rendered_overlay() -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the overlay is checked only through the base files")
    result = subprocess.run(
        [kubectl, "kustomize", str(OVERLAY)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def _validate(documents: list[dict[str, Any]]) -> None:
    for document in documents:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_every_base_resource_is_valid_against_the_api_schema() -> None:
    _validate(_base_documents())


def test_every_service_has_a_deployment_with_probes_resources_config_and_secrets() -> None:
    deployments = {d["metadata"]["name"]: d for d in _base_documents() if d["kind"] == "Deployment"}
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        assert container["resources"]["requests"], name
        assert container["resources"]["limits"], name
        sources = {next(iter(s)) for s in container["envFrom"]}
        assert sources == {"configMapRef", "secretRef"}, name


def test_singletons_never_run_two_copies_during_a_rollout() -> None:
    deployments = {d["metadata"]["name"]: d for d in _base_documents() if d["kind"] == "Deployment"}
    for name in ("stream-ingest", "snov-enricher"):
        assert deployments[name]["spec"]["replicas"] == 1
        assert deployments[name]["spec"]["strategy"]["type"] == "Recreate"


def test_production_overlay_renders_and_is_valid() -> None:
    documents = _rendered_overlay()
    _validate(documents)
    kinds = {(d["kind"], d["metadata"]["name"]) for d in documents}
    assert ("Namespace", "leadpipe") in kinds
    assert ("Ingress", "leadpipe") in kinds
    assert all(
        d["metadata"].get("namespace") == "leadpipe" for d in documents if d["kind"] != "Namespace"
    )


def test_nats_helm_values_ask_for_three_node_jetstream_with_fsync_before_ack() -> None:
    values = yaml.safe_load((ROOT / "deploy" / "nats" / "helm-values.yaml").read_text())
    assert values["config"]["cluster"]["replicas"] == 3
    assert values["config"]["jetstream"]["fileStore"]["enabled"] is True
    assert values["config"]["jetstream"]["merge"]["sync_interval"] == "always"
