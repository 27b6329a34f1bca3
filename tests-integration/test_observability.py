"""The observability profile is valid and its dashboard and scrape config match the code."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from leadpipe_bus import SERVICES
from leadpipe_bus.telemetry import Label

ROOT = Path(__file__).resolve().parents[1]
OBSERVABILITY = ROOT / "deploy" / "observability"
DASHBOARD = OBSERVABILITY / "grafana" / "dashboards" / "leadpipe.json"

# A metric declared in code: Counter("name", ...), Gauge(...), Histogram(...), Summary(...).
_DECLARATION = re.compile(
    r"\b(?:Counter|Gauge|Histogram|Summary)\(\s*\"([a-zA-Z_:][a-zA-Z0-9_:]*)\""
)
# Suffixes prometheus_client adds in the exposition.
_SUFFIXES = ("_total", "_bucket", "_sum", "_count")
_PROMQL_WORDS = frozenset(
    {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}
    | {"group_left", "group_right", "inf", "nan"}
)


def _code_metric_names() -> set[str]:
    names: set[str] = set()
    for top in ("libs", "services"):
        for path in (ROOT / top).rglob("*.py"):
            if "tests" in path.relative_to(ROOT).parts or ".venv" in path.parts:
                continue
            names.update(_DECLARATION.findall(path.read_text(encoding="utf-8")))
    return names


def _exposed_names(declared: set[str]) -> set[str]:
    """Every series name the declared metrics can appear under."""
    exposed = set(declared)
    for name in declared:
        base = name.removesuffix("_total")
        exposed.update(base + suffix for suffix in _SUFFIXES)
    return exposed


def _metric_names_in(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (not functions, labels or keywords)."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', " ", expr)
    stripped = re.sub(r"\{[^}]*\}", " ", stripped)
    stripped = re.sub(r"\[[^\]]*\]", " ", stripped)
    stripped = re.sub(
        r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", stripped
    )
    names = set()
    for match in re.finditer(r"(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*", stripped):
        if stripped[match.end() :].lstrip().startswith("("):
            continue
        if match.group() in _PROMQL_WORDS:
            continue
        names.add(match.group())
    return names


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    panels: list[dict[str, Any]] = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))
    return panels


def test_compose_observability_profile_is_valid() -> None:
    binary = Path(sys.executable).parent / "docker-compose"
    result = subprocess.run(
        [
            str(binary),
            "-f",
            str(ROOT / "docker-compose.yml"),
            "--profile",
            "observability",
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
    services = json.loads(result.stdout)["services"]
    assert {"otel-collector", "prometheus", "grafana"} <= set(services)
    assert set(SERVICES) <= set(services)
    for name in ("otel-collector", "prometheus", "grafana"):
        assert services[name]["profiles"] == ["observability"]
    assert "otel/opentelemetry-collector-contrib" in services["otel-collector"]["image"]
    for name in SERVICES:
        assert "profiles" not in services[name], name


def test_collector_receives_otlp_http_on_4318() -> None:
    config = yaml.safe_load((OBSERVABILITY / "otel-collector.yaml").read_text(encoding="utf-8"))
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    declared = set(config["exporters"])
    for pipeline in config["service"]["pipelines"].values():
        assert pipeline["receivers"] == ["otlp"]
        assert "debug" in pipeline["exporters"]
        assert set(pipeline["exporters"]) <= declared
        assert set(pipeline.get("processors", [])) <= set(config["processors"])


def test_grafana_provisions_prometheus_and_the_dashboard(dashboard: dict[str, Any]) -> None:
    provisioning = OBSERVABILITY / "grafana" / "provisioning"
    datasources = yaml.safe_load(
        (provisioning / "datasources" / "prometheus.yaml").read_text(encoding="utf-8")
    )["datasources"]
    uids = {source["uid"] for source in datasources if source["type"] == "prometheus"}
    assert any(source["url"] == "http://prometheus:9090" for source in datasources)
    providers = yaml.safe_load(
        (provisioning / "dashboards" / "leadpipe.yaml").read_text(encoding="utf-8")
    )["providers"]
    assert [provider["options"]["path"] for provider in providers] == ["/etc/grafana/dashboards"]
    for panel in _panels(dashboard):
        assert panel["datasource"]["uid"] in uids, panel["title"]


def test_dashboard_has_a_unique_uid_and_every_panel_queries(dashboard: dict[str, Any]) -> None:
    assert dashboard["uid"] == "leadpipe"
    others = [
        json.loads(path.read_text(encoding="utf-8")).get("uid")
        for path in DASHBOARD.parent.glob("*.json")
        if path != DASHBOARD
    ]
    assert dashboard["uid"] not in others
    panels = _panels(dashboard)
    assert panels
    assert len({panel["id"] for panel in panels}) == len(panels)
    for panel in panels:
        assert panel.get("datasource"), panel["title"]
        assert panel.get("targets"), panel["title"]
        for target in panel["targets"]:
            assert target.get("expr", "").strip(), panel["title"]


def test_every_metric_in_the_dashboard_exists_in_the_code(dashboard: dict[str, Any]) -> None:
    declared = _code_metric_names()
    assert {"ch_gateway_calls_used", "leadpipe_consumer_messages_total"} <= declared
    exposed = _exposed_names(declared)
    for panel in _panels(dashboard):
        for target in panel["targets"]:
            used = _metric_names_in(target["expr"])
            assert used, target["expr"]
            unknown = used - exposed
            assert not unknown, f"{panel['title']}: {sorted(unknown)} not declared in the code"


# Labels Prometheus itself adds: the histogram bucket bound and the scrape target's.
_PROMETHEUS_LABELS = frozenset({"le", "job", "instance"})


def _label_keys_in(expr: str) -> set[str]:
    """Label keys an expression groups by or matches on."""
    keys: set[str] = set()
    for grouping in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", expr):
        keys.update(key.strip() for key in grouping.split(",") if key.strip())
    for selector in re.findall(r"\{([^}]*)\}", expr):
        keys.update(re.findall(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)", selector))
    return keys


def test_every_label_key_in_the_dashboard_is_declared_once_in_telemetry(
    dashboard: dict[str, Any],
) -> None:
    declared = {value for name, value in vars(Label).items() if name.isupper()}
    for panel in _panels(dashboard):
        for target in panel["targets"]:
            unknown = _label_keys_in(target["expr"]) - declared - _PROMETHEUS_LABELS
            assert not unknown, f"{panel['title']}: label keys {sorted(unknown)} not in Label"


def test_metric_name_extraction_ignores_functions_labels_and_keywords() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, consumer) (rate(a_seconds_bucket{x="y(z)"}[5m])))'
        " / ignoring(job) b_total or vector(0)"
    )
    assert _metric_names_in(expr) == {"a_seconds_bucket", "b_total"}


def test_prometheus_scrapes_every_service_on_its_ops_port() -> None:
    config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for name in SERVICES:
        assert name in jobs, name
        targets = [
            target for static in jobs[name]["static_configs"] for target in static["targets"]
        ]
        assert targets == [f"{name}:9100"], name
