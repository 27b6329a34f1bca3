"""Exports of any filtered query as CSV, JSON Lines or XLSX, in constant memory.

CSV is produced by Postgres (``COPY … CSV``) and relayed through a bounded queue. For JSON
Lines and XLSX, rows come from a server-side cursor in batches; each batch is encoded and handed
to the HTTP response before the next is fetched. Either way memory does not grow with the
export. XLSX cannot be sent before the workbook is finished (it is a zip with its directory at
the end), so xlsxwriter writes it in ``constant_memory`` mode to a temporary file that is then
streamed and deleted.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

import asyncpg
import msgspec
import xlsxwriter

T = TypeVar("T")
BATCH = 2_000
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


_json = msgspec.json.Encoder()


def encode_jsonl(fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """Rows as JSON Lines, one object per row."""
    return b"".join(_json.encode(dict(zip(fields, row, strict=True))) + b"\n" for row in rows)


async def batches(
    pool: asyncpg.Pool, sql: str, values: Sequence[object], batch: int = BATCH
) -> AsyncIterator[list[asyncpg.Record]]:
    """The rows of a statement in batches, from a cursor in a read-only snapshot."""
    async with (
        pool.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        cursor = await connection.cursor(sql, *values)
        while rows := await cursor.fetch(batch):
            yield rows


async def copy_csv(
    pool: asyncpg.Pool,
    sql: str,
    values: Sequence[object],
    *,
    buffered_chunks: int = 8,
    chunk_size: int = 65_536,
) -> AsyncIterator[bytes]:
    """CSV written by Postgres itself (``COPY (query) TO STDOUT CSV HEADER``), chunk by chunk.

    Postgres formats rows far faster than Python can; the statement renders every cell already
    (``readmodel.csv_cell``). A bounded queue between the copy and the response keeps memory
    flat: the copy waits while the client is slow.
    """
    queue: asyncio.Queue[bytes | Exception | None] = asyncio.Queue(buffered_chunks)

    buffer = bytearray()

    async def collect(data: bytes) -> None:
        # Postgres sends a message per row; the response gets chunks of about 64 KiB.
        buffer.extend(data)
        if len(buffer) >= chunk_size:
            await queue.put(bytes(buffer))
            buffer.clear()

    async def produce() -> None:
        try:
            async with (
                pool.acquire() as connection,
                connection.transaction(isolation="repeatable_read", readonly=True),
            ):
                # Dates are written as text (``readmodel.csv_cell``): ISO 8601 whatever the
                # server's default. One process per export: parallel workers only add tuple
                # queues and take cores from the API while the copy goes at the client's pace.
                await connection.execute(
                    "SET LOCAL DateStyle = ISO; SET LOCAL max_parallel_workers_per_gather = 0"
                )
                await connection.copy_from_query(
                    sql, *values, output=collect, format="csv", header=True
                )
        except Exception as exc:  # handed to the consumer, which raises it in the response
            await queue.put(exc)
            return
        if buffer:
            await queue.put(bytes(buffer))
        await queue.put(None)

    producer = asyncio.create_task(produce())
    try:
        while (item := await queue.get()) is not None:
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        if not producer.done():
            producer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await producer


async def alongside(
    first: Awaitable[T], body: AsyncIterator[bytes]
) -> tuple[T, AsyncIterator[bytes]]:
    """Await ``first`` while ``body`` produces its first chunk; the result and the whole body.

    Raises:
        Whatever ``first`` or the first chunk raise (the body is closed then).
    """
    head: asyncio.Task[bytes] = asyncio.ensure_future(anext(body, b""))
    try:
        result = await first
        chunk = await head
    except BaseException:
        head.cancel()
        with contextlib.suppress(BaseException):
            await head
        if isinstance(body, AsyncGenerator):
            await body.aclose()
        raise
    return result, _prepended(chunk, body)


async def _prepended(chunk: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if chunk:
        yield chunk
    async for item in rest:
        yield item


async def stream(
    fmt: str, fields: list[str], rows: AsyncIterator[list[asyncpg.Record]]
) -> AsyncIterator[bytes]:
    """The encoded export (JSON Lines or XLSX), chunk by chunk."""
    if fmt == "jsonl":
        async for batch in rows:
            yield encode_jsonl(fields, [tuple(record) for record in batch])
    else:
        async for chunk in _xlsx(fields, rows):
            yield chunk


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


async def _xlsx(
    fields: list[str], rows: AsyncIterator[list[asyncpg.Record]], chunk: int = 65_536
) -> AsyncIterator[bytes]:
    handle, path = tempfile.mkstemp(prefix="leadpipe-export-", suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(
            path, {"constant_memory": True, "strings_to_formulas": False, "tmpdir": None}
        )
        sheet = workbook.add_worksheet("export")
        bold = workbook.add_format({"bold": True})
        sheet.write_row(0, 0, fields, bold)
        line = 1
        write: Callable[[int, int, list[Any]], Any] = sheet.write_row
        async for batch in rows:
            for record in batch:
                write(line, 0, [_xlsx_value(value) for value in record])
                line += 1
        await asyncio.to_thread(workbook.close)
        with open(path, "rb") as file:  # noqa: ASYNC230 - chunked reads of a local temp file
            while data := file.read(chunk):
                yield data
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
