"""Where a snapshot's rows come from: local CSV/zip files, ``partN_M`` parts, or a URL.

A snapshot's name and as-of date come from its file name (``BasicCompanyDataAsOneFile-2026-08-01``
or ``BasicCompanyData-2026-08-01-part3_7``) unless ``--as-of`` says otherwise. A URL is
downloaded first (streamed to disk in bounded memory): a zip cannot be read before its end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
import typing
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import aiohttp

_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
_PART = re.compile(r"part(\d+)_(\d+)", re.IGNORECASE)
_SUFFIXES = (".csv", ".zip")


class SourceError(Exception):
    """The input cannot be used (missing, no CSV inside, no as-of date …)."""


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """One snapshot: its files in order, its name and as-of date."""

    name: str
    as_of: dt.date
    files: tuple[Path, ...]

    @property
    def observed_at(self) -> dt.datetime:
        """The moment its rows describe: the as-of date at midnight UTC."""
        return dt.datetime.combine(self.as_of, dt.time(), tzinfo=dt.UTC)


def _part_key(path: Path) -> tuple[int, str]:
    match = _PART.search(path.name)
    return (int(match.group(1)) if match else 0, path.name)


def _snapshot_name(path: Path) -> str:
    stem = path.name
    for suffix in _SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    return _PART.sub("", stem).rstrip("-_")


def resolve_snapshot(target: str | Path, as_of: dt.date | None = None) -> Snapshot:
    """The snapshot a local path names: a file, a directory of parts, or a glob.

    Raises:
        SourceError: Nothing to import, or no as-of date in the name and none given.
    """
    path = Path(target)
    if path.is_dir():
        files = sorted(
            (p for p in path.iterdir() if p.suffix.lower() in _SUFFIXES and p.is_file()),
            key=_part_key,
        )
    elif path.is_file():
        files = [path]
    else:
        files = sorted(path.parent.glob(path.name), key=_part_key)
    if not files:
        raise SourceError(f"no CSV or zip file at {target}")
    names = {_snapshot_name(p) for p in files}
    if len(names) > 1:
        raise SourceError(f"files of different snapshots given: {sorted(names)}")
    name = names.pop()
    if as_of is None:
        match = _DATE.search(name)
        if match is None:
            raise SourceError(f"no date in {name!r}: give --as-of YYYY-MM-DD")
        as_of = dt.date.fromisoformat(match.group(1))
    return Snapshot(name=name, as_of=as_of, files=tuple(files))


async def download(url: str, directory: Path, *, chunk: int = 1 << 20) -> Path:
    """Stream ``url`` to a file in ``directory`` (which must exist), named after the URL."""
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or "snapshot.zip"
    target = directory / name
    partial = target.with_name(target.name + ".part")
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=120)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
        if response.status != 200:
            raise SourceError(f"download of {url} answered HTTP {response.status}")
        with partial.open("wb") as out:
            async for block in response.content.iter_chunked(chunk):
                out.write(block)
    partial.replace(target)
    return target


@contextlib.contextmanager
def open_binary(path: Path) -> Iterator[tuple[BinaryIO, Callable[[], int], int]]:
    """The CSV bytes of ``path`` (inside a zip: its CSV member), with a position probe for
    progress (bytes of ``path`` consumed) and the size of ``path``."""
    size = path.stat().st_size
    with path.open("rb") as raw:
        if path.suffix.lower() != ".zip":
            yield raw, raw.tell, size
            return
        with zipfile.ZipFile(raw) as archive:
            members = [m for m in archive.infolist() if m.filename.lower().endswith(".csv")]
            if len(members) != 1:
                raise SourceError(f"{path.name} holds {len(members)} CSV files, expected one")
            with archive.open(members[0]) as member:
                yield typing.cast(BinaryIO, member), raw.tell, size
