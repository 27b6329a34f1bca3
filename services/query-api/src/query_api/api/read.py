"""Read endpoints: companies, officers, leads, statistics, analytics and operational status."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from query_api import charts
from query_api.adapters import readmodel
from query_api.api.deps import ERRORS, ApiError, LeanRoute, State, Viewer
from query_api.api.responses import Json, ok
from query_api.domain import CursorError
from query_api.filters import CompanyQuery, LeadQuery

router = APIRouter(prefix="/api/v1", responses=ERRORS)
# Detail and list pages, the routes under the heaviest load, are served lean (see LeanRoute).
pages = APIRouter(responses=ERRORS, route_class=LeanRoute)

CompanyNumber = Annotated[
    str, Path(pattern=r"^[A-Z0-9]{8}$", description="Companies House company number.")
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such company in the read model."}
}


def _bad_cursor(exc: CursorError) -> ApiError:
    return ApiError(400, "invalid_cursor", str(exc))


@pages.get("/companies", tags=["companies"], response_class=Json)
async def list_companies(_: Viewer, state: State, query: Annotated[CompanyQuery, Query()]) -> Json:
    """Companies matching the filters, one keyset page at a time.

    Pass ``next_cursor`` back as ``cursor`` (with the same sort and order) for the next page.
    """
    try:
        sql, values, keys = readmodel.companies_statement(query, readmodel.COMPANY_SUMMARY, query)
    except CursorError as exc:
        raise _bad_cursor(exc) from exc
    async with state.reads.acquire() as connection:
        page = await readmodel.page_of(connection, sql, values, keys, f"{query.sort}:{query.order}")
    return ok(page)


@pages.get(
    "/companies/{company_number}", tags=["companies"], response_class=Json, responses=NOT_FOUND
)
async def company(_: Viewer, state: State, company_number: CompanyNumber) -> Json:
    """One company: profile, strike-off history, contacts and CRM state."""
    async with state.reads.acquire() as connection:
        detail = await readmodel.company_detail(connection, company_number)
    if detail is None:
        raise ApiError(404, "not_found", f"company {company_number} is not in the read model")
    return ok(detail)


@pages.get(
    "/companies/{company_number}/officers",
    tags=["companies"],
    response_class=Json,
    responses=NOT_FOUND,
)
async def company_officers(_: Viewer, state: State, company_number: CompanyNumber) -> Json:
    """The company's current (active) officers as last listed."""
    async with state.reads.acquire() as connection:
        officers = await readmodel.officers_of(connection, company_number)
    if officers is None:
        raise ApiError(404, "not_found", f"company {company_number} is not in the read model")
    return ok({"company_number": company_number, "items": officers})


@pages.get("/leads", tags=["leads"], response_class=Json)
async def list_leads(_: Viewer, state: State, query: Annotated[LeadQuery, Query()]) -> Json:
    """Leads: directors with a business e-mail, with their company, one keyset page at a time."""
    try:
        sql, values, keys = readmodel.leads_statement(query, readmodel.LEAD_SUMMARY, query)
    except CursorError as exc:
        raise _bad_cursor(exc) from exc
    async with state.reads.acquire() as connection:
        page = await readmodel.page_of(connection, sql, values, keys, f"{query.sort}:{query.order}")
    return ok(page)


router.include_router(pages)


@router.get("/stats", tags=["analytics"], response_class=Json)
async def stats(_: Viewer, state: State) -> Json:
    """Counts and the pipeline funnel (detected → officers → domain → e-mail → CRM)."""
    async with state.reads.acquire() as connection:
        return ok(await readmodel.stats(connection))


def _period(
    start: dt.date | None, end: dt.date | None, default_days: int
) -> tuple[dt.date, dt.date]:
    end = end or dt.datetime.now(dt.UTC).date()
    start = start or end - dt.timedelta(days=default_days)
    if start > end:
        raise ApiError(400, "invalid_range", "`from` must not be after `to`")
    if (end - start).days > 3_660:
        raise ApiError(400, "invalid_range", "the range may span at most ten years")
    return start, end


@router.get("/analytics/transitions", tags=["analytics"], response_class=Json)
async def analytics_transitions(
    _: Viewer,
    state: State,
    interval: Literal["day", "week", "month"] = "day",
    start: Annotated[dt.date | None, Query(alias="from")] = None,
    end: Annotated[dt.date | None, Query(alias="to")] = None,
) -> Json:
    """Entries into and exits from strike-off per day, week or month (default: last 90 days)."""
    first, last = _period(start, end, 90)
    async with state.reads.acquire() as connection:
        rows = await readmodel.transitions(connection, interval, first, last)
    return ok({"interval": interval, "from": first, "to": last, "items": rows})


@router.get("/analytics/sectors", tags=["analytics"], response_class=Json)
async def analytics_sectors(_: Viewer, state: State) -> Json:
    """Companies in strike-off per SIC section."""
    async with state.reads.acquire() as connection:
        return ok({"items": await readmodel.sectors(connection)})


@router.get("/analytics/regions", tags=["analytics"], response_class=Json)
async def analytics_regions(_: Viewer, state: State) -> Json:
    """Companies in strike-off per region of their registered office."""
    async with state.reads.acquire() as connection:
        return ok({"items": await readmodel.regions(connection)})


@router.get("/analytics/enrichment", tags=["analytics"], response_class=Json)
async def analytics_enrichment(_: Viewer, state: State) -> Json:
    """The enrichment funnel: officers, domain searched and found, e-mails, CRM."""
    async with state.reads.acquire() as connection:
        summary = await readmodel.stats(connection)
    return ok({"funnel": summary["funnel"]})


@router.get("/analytics/usage", tags=["analytics"], response_class=Json)
async def analytics_usage(_: Viewer, state: State) -> Json:
    """Snov.io credits per billing period and the Companies House quota in use."""
    async with state.reads.acquire() as connection:
        credits = await readmodel.snapshots(connection, "credits")
        gateway = await readmodel.snapshots(connection, "gateway")
    return ok({"credits": credits, "gateway": gateway[0] if gateway else None})


@router.get("/status", tags=["status"], response_class=Json)
async def status(_: Viewer, state: State) -> Json:
    """Streaming connections, gateway quota and queues, credits, jobs, dead letters, lag."""
    async with state.reads.acquire() as connection:
        streams = await readmodel.snapshots(connection, "stream")
        gateway = await readmodel.snapshots(connection, "gateway")
        credits = await readmodel.snapshots(connection, "credits")
        dead = await readmodel.dead_letters(connection, 20)
        running = await connection.fetchval(
            "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running', 'paused')"
        )
    return ok(
        {
            "streams": streams,
            "gateway": gateway[0] if gateway else None,
            "credits": credits[0] if credits else None,
            "active_jobs": running,
            "dead_letters": dead,
            "projection_lag": await projection_lag(state),
        }
    )


async def projection_lag(state: State) -> dict[str, int | None]:
    """Messages each projection consumer has not processed yet (None if unknown)."""
    lag: dict[str, int | None] = {}
    if state.js is None:
        return lag
    for spec in state.topology.consumers_of("query-api"):
        try:
            info = await state.js.consumer_info(
                state.topology.stream_name(spec.stream), state.topology.durable(spec)
            )
            lag[spec.name] = int(info.num_pending or 0) + int(info.num_ack_pending or 0)
        except Exception:  # any broker error: report unknown rather than fail the status page
            lag[spec.name] = None
    return lag


@router.get(
    "/charts/{name}.svg",
    tags=["analytics"],
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "An SVG chart."}},
)
async def chart(
    _: Viewer,
    state: State,
    name: Literal["entries", "sectors", "regions", "funnel", "gauges"],
    days: Annotated[int, Query(ge=7, le=366)] = 30,
) -> Response:
    """A chart rendered on the server as SVG (used by the dashboard)."""
    async with state.reads.acquire() as connection:
        if name == "entries":
            end = dt.datetime.now(dt.UTC).date()
            rows = await readmodel.transitions(
                connection, "day", end - dt.timedelta(days=days - 1), end
            )
            svg = charts.entries_chart(rows, end, days)
        elif name == "sectors":
            rows = await readmodel.sectors(connection)
            svg = charts.bar_chart(
                "Strike-off companies by SIC section",
                [(f"{row['section']} {row['name']}", row["companies"]) for row in rows[:12]],
            )
        elif name == "regions":
            rows = await readmodel.regions(connection)
            svg = charts.bar_chart(
                "Strike-off companies by region",
                [(row["region"], row["companies"]) for row in rows],
            )
        elif name == "funnel":
            summary = await readmodel.stats(connection)
            svg = charts.bar_chart(
                "Pipeline funnel",
                [(row["stage"].replace("_", " "), row["companies"]) for row in summary["funnel"]],
            )
        else:
            credits = await readmodel.snapshots(connection, "credits")
            gateway = await readmodel.snapshots(connection, "gateway")
            svg = charts.gauges(credits[0] if credits else None, gateway[0] if gateway else None)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
