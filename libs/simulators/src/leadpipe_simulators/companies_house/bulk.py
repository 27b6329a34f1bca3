"""BasicCompanyDataAsOneFile snapshots consistent with the population (row i = company i in
its base state, i.e. as of the snapshot date).

Output forms (C.1): a ``.csv``; a ``.zip`` holding one CSV named like the zip's stem
(``BasicCompanyDataAsOneFile-YYYY-MM-DD.csv``); or ``parts`` files
``BasicCompanyData-YYYY-MM-DD-partN_M.{zip,csv}``, each with the header. Full size (5.5 M rows,
~2.9 GB) is generated in bounded memory: worker processes render (and deflate) chunks of rows,
the parent writes them in order with a bounded number of chunks in flight.

Malformed rows can be injected for importer tests; the result reports, for each, the physical
line number where the record starts (the header is line 1) and its data-row number.
"""

from __future__ import annotations

import os
import random
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from multiprocessing import get_context
from pathlib import Path
from typing import BinaryIO, Final, NamedTuple

from .bulk_rows import (
    HEADER_LINE,
    INVALID_UTF8_BYTES,
    INVALID_UTF8_MARK,
    MALFORMED_KINDS,
    MalformedKind,
    render_malformed_row,
    render_row,
)
from .company_facts import generate_company
from .company_numbers import NumberMapping
from .population import DEFAULT_AS_OF
from .reference_data import STRIKE_OFF_STATUS
from .zip_writer import DeflatedMemberWriter, deflate_chunk

_WRITE_BUFFER: Final = 8 * 1024 * 1024
_ZIP64_BYTES_PER_ROW: Final = 700  # generous upper estimate of an average row


class MalformedLine(NamedTuple):
    line: int  # physical line where the record starts; the header is line 1
    row: int  # data row number within the file, 1-based
    kind: str


class SnapshotResult(NamedTuple):
    path: Path
    rows: int
    strike_off_count: int  # well-formed rows with "Active - Proposal to Strike off"
    malformed_lines: tuple[MalformedLine, ...]


def snapshot_name(as_of: date, *, zipped: bool, part: tuple[int, int] | None = None) -> str:
    suffix = "zip" if zipped else "csv"
    if part is None:
        return f"BasicCompanyDataAsOneFile-{as_of.isoformat()}.{suffix}"
    return f"BasicCompanyData-{as_of.isoformat()}-part{part[0]}_{part[1]}.{suffix}"


def pick_malformed_rows(
    rows: int, count: int, *, seed: int = 0, kinds: Sequence[MalformedKind] = MALFORMED_KINDS
) -> dict[int, MalformedKind]:
    """``count`` distinct 0-based row indices, each with a malformation kind (cycled)."""
    chosen = sorted(random.Random(seed).sample(range(rows), count))
    return {row: kinds[i % len(kinds)] for i, row in enumerate(chosen)}


@dataclass(frozen=True)
class _ChunkTask:
    seed: int
    size: int
    as_of: date
    start: int
    stop: int
    malformed: tuple[tuple[int, MalformedKind], ...]
    level: int | None  # deflate level, or None for plain CSV bytes


class _ChunkResult(NamedTuple):
    payload: bytes
    crc: int
    raw_size: int
    physical_lines: int
    strike_off: int
    malformed: tuple[tuple[int, int, str], ...]  # (line offset in chunk, row index, kind)


_MAPPINGS: dict[int, NumberMapping] = {}


def render_chunk(task: _ChunkTask) -> _ChunkResult:
    """Render rows ``start..stop-1`` (runs in worker processes, so it is module level)."""
    mapping = _MAPPINGS.get(task.size)
    if mapping is None:
        mapping = _MAPPINGS[task.size] = NumberMapping(task.size)
    broken = dict(task.malformed)
    number_of, fraction = mapping.number_of, mapping.issued_fraction
    seed, as_of = task.seed, task.as_of
    parts: list[str] = []
    lines = strike_off = 0
    malformed: list[tuple[int, int, str]] = []
    for index in range(task.start, task.stop):
        number = number_of(index)
        facts = generate_company(seed, index, number, fraction(number), as_of)
        kind = broken.get(index)
        if kind is None:
            parts.append(render_row(facts))
            if facts.bulk_status == STRIKE_OFF_STATUS:
                strike_off += 1
        else:
            parts.append(render_malformed_row(facts, kind))
            malformed.append((lines, index, kind))
        lines += 1 + facts.multiline
    data = "".join(parts).encode()
    if any(kind == "invalid_utf8" for _, _, kind in malformed):
        data = data.replace(INVALID_UTF8_MARK.encode(), INVALID_UTF8_BYTES)
    payload = data if task.level is None else deflate_chunk(data, task.level)
    return _ChunkResult(payload, zlib.crc32(data), len(data), lines, strike_off, tuple(malformed))


class _Renderer:
    """Runs chunk tasks in order, in worker processes or inline, with bounded look-ahead."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        if workers > 1:
            self._pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"))

    def run(self, tasks: Sequence[_ChunkTask]) -> Iterator[_ChunkResult]:
        if self._pool is None:
            for task in tasks:
                yield render_chunk(task)
            return
        in_flight: list[Future[_ChunkResult]] = []
        pending = iter(tasks)
        for task in pending:
            in_flight.append(self._pool.submit(render_chunk, task))
            if len(in_flight) >= self.workers * 2:
                break
        while in_flight:
            result = in_flight.pop(0).result()
            following = next(pending, None)
            if following is not None:
                in_flight.append(self._pool.submit(render_chunk, following))
            yield result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def _tasks(
    seed: int,
    size: int,
    as_of: date,
    start: int,
    stop: int,
    malformed: Mapping[int, MalformedKind],
    level: int | None,
    chunk_rows: int,
) -> list[_ChunkTask]:
    tasks = []
    for low in range(start, stop, chunk_rows):
        high = min(stop, low + chunk_rows)
        broken = tuple((i, k) for i, k in sorted(malformed.items()) if low <= i < high)
        tasks.append(_ChunkTask(seed, size, as_of, low, high, broken, level))
    return tasks


def _write_file(
    path: Path,
    renderer: _Renderer,
    tasks: list[_ChunkTask],
    *,
    zipped: bool,
    level: int,
    first_row: int,
) -> SnapshotResult:
    header = HEADER_LINE.encode()
    rows = strike_off = 0
    lines = 1  # the header
    malformed: list[MalformedLine] = []
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb", buffering=_WRITE_BUFFER) as raw_out:
        out: BinaryIO = raw_out
        member: DeflatedMemberWriter | None = None
        if zipped:
            total_rows = sum(t.stop - t.start for t in tasks)
            zip64 = total_rows * _ZIP64_BYTES_PER_ROW >= 0xFFFFFFFF
            member = DeflatedMemberWriter(out, path.with_suffix(".csv").name, zip64=zip64)
            member.write_chunk(deflate_chunk(header, level), zlib.crc32(header), len(header))
        else:
            out.write(header)
        for task, result in zip(tasks, renderer.run(tasks), strict=True):
            if member is not None:
                member.write_chunk(result.payload, result.crc, result.raw_size)
            else:
                out.write(result.payload)
            for offset, index, kind in result.malformed:
                malformed.append(MalformedLine(lines + 1 + offset, index - first_row + 1, kind))
            rows += task.stop - task.start
            strike_off += result.strike_off
            lines += result.physical_lines
        if member is not None:
            member.close()
    return SnapshotResult(path, rows, strike_off, tuple(malformed))


def _default_workers(rows: int) -> int:
    # Spawning workers costs about a second; small files are faster inline.
    return 1 if rows < 200_000 else max(1, min(os.cpu_count() or 1, 8))


def _resolve(out: str | Path, as_of: date, zipped: bool | None) -> tuple[Path, bool]:
    path = Path(out)
    if path.suffix.lower() in (".zip", ".csv"):
        return path, path.suffix.lower() == ".zip" if zipped is None else zipped
    is_zip = bool(zipped)
    return path / snapshot_name(as_of, zipped=is_zip), is_zip


def write_snapshot(
    out: str | Path,
    *,
    rows: int,
    seed: int = 7,
    as_of: date = DEFAULT_AS_OF,
    population_size: int | None = None,
    zipped: bool | None = None,
    malformed: Mapping[int, MalformedKind] | None = None,
    workers: int | None = None,
    chunk_rows: int = 25_000,
    compresslevel: int = 6,
) -> SnapshotResult:
    """Write one snapshot file and return (path, rows, strike_off_count, malformed_lines).

    ``out`` is a ``.csv``/``.zip`` path, or a directory (the file is then named like CH's,
    ``BasicCompanyDataAsOneFile-<as_of>.csv|zip``, zipped if ``zipped``). The rows are
    companies ``0..rows-1`` of ``Population(seed, population_size or rows, as_of=as_of)``.
    ``malformed`` maps 0-based row indices to a kind (see ``pick_malformed_rows``).
    """
    size = population_size or rows
    if not 0 < rows <= size:
        raise ValueError("rows must be in 1..population_size")
    path, is_zip = _resolve(out, as_of, zipped)
    level = compresslevel if is_zip else None
    tasks = _tasks(seed, size, as_of, 0, rows, malformed or {}, level, chunk_rows)
    renderer = _Renderer(workers or _default_workers(rows))
    try:
        return _write_file(path, renderer, tasks, zipped=is_zip, level=compresslevel, first_row=0)
    finally:
        renderer.close()


def write_snapshot_parts(
    out_dir: str | Path,
    *,
    rows: int,
    parts: int,
    seed: int = 7,
    as_of: date = DEFAULT_AS_OF,
    population_size: int | None = None,
    zipped: bool = True,
    malformed: Mapping[int, MalformedKind] | None = None,
    workers: int | None = None,
    chunk_rows: int = 25_000,
    compresslevel: int = 6,
    on_part: Callable[[SnapshotResult], None] | None = None,
) -> list[SnapshotResult]:
    """Write ``parts`` files ``BasicCompanyData-<as_of>-partN_M.zip|csv`` (each with the
    header) that together hold the same rows as ``write_snapshot``. Malformed line numbers
    are per part file; their ``row`` is the data-row number within that part."""
    size = population_size or rows
    if not 0 < rows <= size or parts < 1:
        raise ValueError("rows must be in 1..population_size and parts >= 1")
    per_part = -(-rows // parts)
    renderer = _Renderer(workers or _default_workers(rows))
    results: list[SnapshotResult] = []
    try:
        for n in range(parts):
            start, stop = n * per_part, min(rows, (n + 1) * per_part)
            path = Path(out_dir) / snapshot_name(as_of, zipped=zipped, part=(n + 1, parts))
            level = compresslevel if zipped else None
            tasks = _tasks(seed, size, as_of, start, stop, malformed or {}, level, chunk_rows)
            result = _write_file(
                path, renderer, tasks, zipped=zipped, level=compresslevel, first_row=start
            )
            results.append(result)
            if on_part is not None:
                on_part(result)
    finally:
        renderer.close()
    return results
