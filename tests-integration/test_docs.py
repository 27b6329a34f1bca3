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
