"""``GET /api/v1/exports/{companies,leads}``: any filtered query as CSV, JSON Lines or XLSX."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import Field

from query_api import exports
from query_api.adapters import readmodel
from query_api.api.deps import ERRORS, Analyst, ApiError, State
from query_api.filters import CompanyFilter

router = APIRouter(prefix="/api/v1/exports", tags=["exports"], responses=ERRORS)

STREAMED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export, streamed; ``X-Total-Count`` gives the rows to expect.",
        "content": {media: {} for media in exports.MEDIA_TYPES.values()},
    }
}


class CompanyExport(CompanyFilter):
    """Company filters, the file format and the columns."""

    format: Literal["csv", "jsonl", "xlsx"] = "csv"
    fields: str | None = Field(
        None,
        pattern=r"^[a-z_]{1,40}(,[a-z_]{1,40}){0,60}$",
        description="Comma-separated columns (default: all).",
    )


class LeadExport(CompanyExport):
    """Company filters plus the e-mail status, the file format and the columns."""

    smtp_status: Literal["valid", "unknown"] | None = None


def _fields(requested: str | None, allowed: dict[str, str]) -> list[str]:
    if requested is None:
        return list(allowed)
    fields = requested.split(",")
    unknown = [name for name in fields if name not in allowed]
    if unknown:
        raise ApiError(
            422,
            "invalid_fields",
            f"unknown field(s) {', '.join(unknown)}; choose from {', '.join(allowed)}",
        )
    if len(set(fields)) != len(fields):
        raise ApiError(422, "invalid_fields", "a field is listed twice")
    return fields


async def _respond(
    state: State,
    kind: str,
    fmt: str,
    fields: list[str],
    statement: tuple[str, list[object], list[str]],
) -> StreamingResponse:
    sql, values, _ = statement
    count_sql = f"SELECT count(*) FROM ({sql}) AS export"  # noqa: S608 - built from fixed fragments
    count = state.db.pool.fetchval(count_sql, *values)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    body: AsyncIterator[bytes]
    if fmt == "csv":
        # Postgres starts writing the CSV while it counts the rows for the header.
        total, body = await exports.alongside(count, exports.copy_csv(state.db.pool, sql, values))
    else:
        total = await count
        body = exports.stream(fmt, fields, exports.batches(state.db.pool, sql, values))
    return StreamingResponse(
        body,
        media_type=exports.MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="leadpipe-{kind}-{stamp}.{fmt}"',
            "X-Total-Count": str(total),
            "Cache-Control": "no-store",
        },
    )


@router.get("/companies", response_class=StreamingResponse, responses=STREAMED)
async def export_companies(
    _: Analyst,
    state: State,
    query: Annotated[CompanyExport, Query()],
) -> StreamingResponse:
    """Export companies matching the filters (ordered by company number)."""
    chosen = _fields(query.fields, readmodel.COMPANY_COLUMNS)
    statement = readmodel.companies_statement(query, chosen, None, csv=query.format == "csv")
    return await _respond(state, "companies", query.format, chosen, statement)


@router.get("/leads", response_class=StreamingResponse, responses=STREAMED)
async def export_leads(
    _: Analyst,
    state: State,
    query: Annotated[LeadExport, Query()],
) -> StreamingResponse:
    """Export leads (contacts with their companies) matching the filters."""
    chosen = _fields(query.fields, readmodel.LEAD_COLUMNS)
    statement = readmodel.leads_statement(query, chosen, None, csv=query.format == "csv")
    return await _respond(state, "leads", query.format, chosen, statement)
