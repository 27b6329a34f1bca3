"""``GET /api/v1/feed``: Server-Sent Events of new leads, transitions and processing errors.

Each event's ``id`` is its feed sequence number. A reconnecting client sends ``Last-Event-ID``
(browsers do this by themselves) and receives everything after it; a new client without one
starts at the live edge, or at ``since`` to replay history.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from query_api.api.deps import ERRORS, State, Viewer

router = APIRouter(prefix="/api/v1", tags=["feed"], responses=ERRORS)

Kind = Literal["strike_off.entered", "strike_off.left", "lead.new", "processing.error"]
KEEPALIVE_SECONDS = 15.0


def sse(seq: int, kind: str, data: str) -> bytes:
    """One SSE event (the data is one JSON line, so it needs no splitting)."""
    return f"id: {seq}\nevent: {kind}\ndata: {data}\n\n".encode()


@router.get(
    "/feed",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "An event stream."}},
)
async def feed(
    _: Viewer,
    state: State,
    request: Request,
    kind: Annotated[list[Kind], Query(max_length=4)] = [],  # noqa: B006 - FastAPI copies defaults
    company_number: Annotated[str | None, Query(pattern=r"^[A-Z0-9]{8}$")] = None,
    since: Annotated[int | None, Query(ge=0, le=2**62)] = None,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", pattern=r"^\d{1,18}$")
    ] = None,
) -> StreamingResponse:
    """Live feed, filterable by kind and company; resumable with ``Last-Event-ID``."""
    if last_event_id is not None:
        start = int(last_event_id)
    elif since is not None:
        start = since
    else:
        start = int(await state.db.pool.fetchval("SELECT coalesce(max(seq), 0) FROM feed"))
    kinds: list[str] | None = [str(value) for value in kind] or None
    return StreamingResponse(
        _events(state, request, int(start), kinds, company_number),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(
    state: State,
    request: Request,
    after: int,
    kinds: list[str] | None,
    company_number: str | None,
) -> AsyncIterator[bytes]:
    yield b"retry: 2000\n\n"
    last_sent = time.monotonic()
    poll = state.settings.feed_poll_seconds
    while not state.stopping.is_set():
        rows = await state.db.pool.fetch(
            "SELECT seq, kind, occurred_at, payload FROM feed WHERE seq > $1"
            " AND ($2::text[] IS NULL OR kind = ANY($2)) AND ($3::text IS NULL"
            " OR company_number = $3) ORDER BY seq LIMIT 500",
            after,
            kinds,
            company_number,
        )
        for row in rows:
            after = row["seq"]
            data = json.dumps(
                {
                    "kind": row["kind"],
                    "occurred_at": row["occurred_at"].isoformat(),
                    **json.loads(row["payload"]),
                },
                separators=(",", ":"),
            )
            yield sse(row["seq"], row["kind"], data)
            last_sent = time.monotonic()
        if rows:
            continue
        if await request.is_disconnected():
            return
        if time.monotonic() - last_sent >= KEEPALIVE_SECONDS:
            yield b": keep-alive\n\n"
            last_sent = time.monotonic()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.stopping.wait(), poll)
