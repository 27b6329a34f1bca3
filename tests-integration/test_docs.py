"""The docs name what the code declares."""

from __future__ import annotations

import re
from pathlib import Path

from leadpipe_bus.topology import CONSUMERS, STREAMS

ROOT = Path(__file__).resolve().parents[1]


def test_architecture_page_names_every_stream_and_consumer() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    for stream in STREAMS:
        assert f"`{stream.name}`" in text, stream.name
    for consumer in CONSUMERS:
        assert f"`{consumer.durable}`" in text, consumer.durable


def test_make_help_lists_every_documented_target() -> None:
    makefile = (ROOT / "Makefile").read_text()
    documented = set(re.findall(r"^([a-z-]+):.*## ", makefile, flags=re.MULTILINE))
    readme = (ROOT / "README.md").read_text()
    assert {"run", "test", "check", "bench"} <= documented
    for target in ("run", "test"):
        assert f"make {target}" in readme


def test_performance_page_is_rendered_from_its_recorded_data() -> None:
    from bench import report

    assert report.PAGE.read_text() == report.render(report.load()), (
        "docs/performance.md was edited by hand or its data changed: run `make bench`"
    )


def test_a_benchmark_run_replaces_its_own_record_and_keeps_the_others(tmp_path: Path) -> None:
    from bench import report
    from bench.results import Result

    data, page = tmp_path / "performance.json", tmp_path / "performance.md"
    report.record(
        "gateway", [Result("P2 upstream 429s", 3.0, 0.0, False)], 12.0, data=data, page=page
    )
    report.record(
        "stream_catchup",
        [Result("P3 rate", 25_000, 20_000, True, " events/s")],
        9.0,
        data=data,
        page=page,
    )
    report.record(
        "gateway", [Result("P2 upstream 429s", 0.0, 0.0, False)], 11.0, data=data, page=page
    )

    runs = report.load(data).runs
    assert set(runs) == {"gateway", "stream_catchup"}
    assert [result.measured for result in runs["gateway"].results] == [0.0]
    text = page.read_text()
    assert text == report.render(report.load(data))
    assert "**2 of 2 targets met**" in text
    assert "| P3 rate | 25,000 events/s | ≥ 20,000 events/s | 1.25 | met |" in text
