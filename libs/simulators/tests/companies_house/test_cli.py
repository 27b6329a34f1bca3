"""The command line: ``bulk`` writes a snapshot; the default command serves both APIs and stops
cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
import zipfile
from pathlib import Path

import aiohttp
import pytest

from leadpipe_simulators.companies_house.cli import main
from leadpipe_simulators.companies_house.testing import basic_auth


def test_bulk_subcommand_prints_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(
        [
            "bulk",
            "--rows",
            "1500",
            "--out",
            str(tmp_path),
            "--zip",
            "--as-of",
            "2026-08-01",
            "--malformed",
            "3",
        ]
    )
    summary = json.loads(capsys.readouterr().out)
    path = Path(summary["paths"][0])
    assert path.name == "BasicCompanyDataAsOneFile-2026-08-01.zip"
    assert summary["rows"] == 1500
    assert len(summary["malformed_lines"]) == 3
    assert summary["rows_per_second"] > 0
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["BasicCompanyDataAsOneFile-2026-08-01.csv"]


def test_bulk_parts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["bulk", "--rows", "900", "--out", str(tmp_path), "--parts", "3"])
    summary = json.loads(capsys.readouterr().out)
    names = [Path(p).name for p in summary["paths"]]
    assert names == [f"BasicCompanyData-2026-11-01-part{n}_3.zip" for n in (1, 2, 3)]


async def test_serve_prints_urls_answers_and_stops_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "leadpipe_simulators",
        "companies-house",
        "--size",
        "500",
        "--rest-key",
        "K",
        "--stream-key",
        "S",
        "--officers",
        "00000001=120",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        urls = {}
        for _ in range(2):
            line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
            match = re.search(r"(REST|stream)\s+(http://\S+)", line)
            assert match, line
            urls[match.group(1)] = match.group(2)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            url = f"{urls['REST']}/company/00000001/officers?items_per_page=100"
            async with http.get(url, headers=basic_auth("K")) as resp:
                assert resp.status == 200
                assert (await resp.json())["total_results"] == 120
            async with http.get(f"{urls['stream']}/companies", headers=basic_auth("K")) as resp:
                assert resp.status == 401
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 15) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
