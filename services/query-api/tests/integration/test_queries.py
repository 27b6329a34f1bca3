"""Filters, name search, keyset pages and sorting; exports in three formats; the live feed."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest

from leadpipe_db import Database
from leadpipe_embedded import free_port
from leadpipe_runtime import Service
from query_api import exports
from query_api.adapters import readmodel
from query_api.adapters.readmodel import ReadPool
from query_api.auth import Role
from query_api.settings import Settings

pytestmark = pytest.mark.integration

COMPANIES = [
    # number, name, postcode, sic, score
    ("02000001", "ALPHA ROOFING LTD", "M1 1AE", ("43910",), 80.0),
    ("02000002", "BRAVO BAKERY LIMITED", "SW1A 1AA", ("10710",), 20.0),
    ("02000003", "CHARLIE CONSULTING LTD", "EH1 1YZ", ("70229",), 55.0),
    ("02000004", "DELTA ROOFING SERVICES LTD", "LS1 4AP", ("43910",), 65.0),
    ("02000005", "ECHO DIGITAL LTD", "M2 3AW", ("62012",), 90.0),
]


@pytest.fixture(scope="module")
async def loaded(
    publish: Callable[[Any], Any], settle: Callable[[], Any], events: Any
) -> list[str]:
    for index, (number, name, postcode, sic, score) in enumerate(COMPANIES):
        await publish(events.observed(number, name, postcode=postcode, sic=sic))
        await publish(events.entered(number, name, minutes=100 + index))
        if index % 2 == 0:
            await publish(events.officers(number, [(f"p{index}", f"PERSON, Number {index}")]))
            await publish(
                events.contact(
                    number,
                    name,
                    f"p{index}",
                    "Number",
                    "Person",
                    f"p{index}@x.example",
                    score=score,
                )
            )
    await publish(events.left("02000002", minutes=200))
    await settle()
    return [number for number, *_ in COMPANIES]


def viewer(keys: dict[Role, str]) -> dict[str, str]:
    return {"X-API-Key": keys[Role.VIEWER]}


async def numbers(http: httpx.AsyncClient, keys: dict[Role, str], query: str) -> list[str]:
    response = await http.get("/api/v1/companies?" + query, headers=viewer(keys))
    assert response.status_code == 200, response.text
    return [item["company_number"] for item in response.json()["items"]]


async def test_filters_narrow_the_company_list(
    http: httpx.AsyncClient, keys: dict[Role, str], loaded: list[str]
) -> None:
    assert await numbers(http, keys, "region=North+West&sort=company_number&order=asc") == [
        "02000001",
        "02000005",
    ]
    assert await numbers(http, keys, "sic=43910&sort=company_number&order=asc") == [
        "02000001",
        "02000004",
    ]
    assert await numbers(http, keys, "sic_section=C") == ["02000002"]
    assert await numbers(http, keys, "postcode_area=EH") == ["02000003"]
    assert await numbers(http, keys, "status=left") == ["02000002"]
    assert "02000002" not in await numbers(http, keys, "status=strike_off")
    assert await numbers(http, keys, "has_email=true&sort=company_number&order=asc") == [
        "02000001",
        "02000003",
        "02000005",
    ]
    assert await numbers(http, keys, "has_officers=false&sort=company_number&order=asc") == [
        "02000002",
        "02000004",
    ]
    assert await numbers(http, keys, "score_min=60&sort=lead_score") == ["02000005", "02000001"]


async def test_name_search_matches_word_prefixes(
    http: httpx.AsyncClient, keys: dict[Role, str], loaded: list[str]
) -> None:
    assert await numbers(http, keys, "q=roof&sort=company_number&order=asc") == [
        "02000001",
        "02000004",
    ]
    assert await numbers(http, keys, "q=delta+roof") == ["02000004"]
    assert await numbers(http, keys, "q=%21%21%21") == []


async def test_keyset_pages_cover_every_row_once_in_order(
    http: httpx.AsyncClient, keys: dict[Role, str], loaded: list[str]
) -> None:
    for sort in ("name", "entered_on", "lead_score", "company_number"):
        for order in ("asc", "desc"):
            seen: list[str] = []
            cursor = None
            while True:
                query = f"sort={sort}&order={order}&limit=2" + (
                    f"&cursor={cursor}" if cursor else ""
                )
                page = (await http.get("/api/v1/companies?" + query, headers=viewer(keys))).json()
                seen += [item["company_number"] for item in page["items"]]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            full = await numbers(http, keys, f"sort={sort}&order={order}&limit=500")
            assert seen == full, (sort, order)
            assert sorted(seen) == sorted(loaded)
    names = [
        item["company_name"]
        for item in (
            await http.get("/api/v1/companies?sort=name&order=asc", headers=viewer(keys))
        ).json()["items"]
    ]
    assert names == sorted(names)


async def test_stored_list_items_are_the_summary_fields_as_row_to_json_writes_them(
    service: Service[Settings], loaded: list[str]
) -> None:
    # Every field of every item came by an UPDATE after the first insert (profile, entry, exit,
    # officers, contacts, score), so equal text shows the trigger keeps each item current, with
    # COMPANY_SUMMARY's fields, names and order, written as the page query would write them.
    fields = ", ".join(f"co.{name}" for name in readmodel.COMPANY_SUMMARY)
    rows = await service.db.pool.fetch(
        f"SELECT co.list_item, row_to_json(f)::text AS expected FROM companies co,"
        f" LATERAL (SELECT {fields}) AS f WHERE co.company_number = ANY($1::text[])",
        loaded,
    )
    assert len(rows) == len(loaded)
    for row in rows:
        assert row["list_item"] == row["expected"]
    assert list(json.loads(rows[0]["list_item"])) == readmodel.COMPANY_SUMMARY


# A new value for each field of a list item: (value bound in SQL, as the item's JSON shows it).
ITEM_CHANGES: dict[str, tuple[object, object]] = {
    "company_name": ("RENAMED LTD", "RENAMED LTD"),
    "company_status": ("dissolved", "dissolved"),
    "company_type": ("plc", "plc"),
    "strike_off": (True, True),
    "strike_off_kind": ("compulsory", "compulsory"),
    "entered_on": (dt.date(2026, 3, 4), "2026-03-04"),
    "left_on": (dt.date(2026, 5, 6), "2026-05-06"),
    "left_reason": ("dissolved", "dissolved"),
    "postcode": ("CF10 1AA", "CF10 1AA"),
    "postcode_area": ("CF", "CF"),
    "region": ("Wales", "Wales"),
    "sic_codes": (["62012", "70229"], ["62012", "70229"]),
    "date_of_creation": (dt.date(2001, 2, 3), "2001-02-03"),
    "accounts_overdue": (True, True),
    "officer_count": (4, 4),
    "domain": ("late.example", "late.example"),
    "contact_count": (2, 2),
    "synced_count": (1, 1),
    "lead_score": (12.5, 12.5),
}


async def test_an_update_of_any_one_item_field_reaches_the_stored_item(
    service: Service[Settings],
) -> None:
    assert set(ITEM_CHANGES) == set(readmodel.COMPANY_SUMMARY) - {"company_number"}
    number = "02999999"
    pool = service.db.pool
    await pool.execute("INSERT INTO companies (company_number) VALUES ($1)", number)
    try:
        for field, (value, shown) in ITEM_CHANGES.items():
            await pool.execute(
                f"UPDATE companies SET {field} = $2 WHERE company_number = $1",
                number,
                value,
            )
            stored = await pool.fetchval(
                "SELECT list_item FROM companies WHERE company_number = $1", number
            )
            assert json.loads(stored)[field] == shown, field
    finally:
        await pool.execute("DELETE FROM companies WHERE company_number = $1", number)


async def test_bad_input_is_refused_precisely(
    http: httpx.AsyncClient, keys: dict[Role, str]
) -> None:
    for query in (
        "limit=0",
        "limit=501",
        "sic=123",
        "region=Atlantis",
        "sort=password",
        "unknown=1",
        "entered_from=2026-09-02&entered_to=2026-09-01",
    ):
        response = await http.get("/api/v1/companies?" + query, headers=viewer(keys))
        assert response.status_code == 422, query
        assert response.json()["error"] == "invalid_request"
    response = await http.get("/api/v1/companies?cursor=garbage", headers=viewer(keys))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_cursor"
    first = (await http.get("/api/v1/companies?limit=1&sort=name", headers=viewer(keys))).json()
    response = await http.get(
        f"/api/v1/companies?limit=1&sort=lead_score&cursor={first['next_cursor']}",
        headers=viewer(keys),
    )
    assert response.status_code == 400


async def test_page_routes_refuse_bad_input_exactly_as_fastapi_routes_do(
    http: httpx.AsyncClient, keys: dict[Role, str]
) -> None:
    # /companies and /companies/{n} are served by LeanRoute; /exports/companies and
    # POST /companies/{n}/process by FastAPI's own handler, with the same model and path type.
    analyst = {"X-API-Key": keys[Role.ANALYST]}
    for query in (
        "unknown=1",
        "region=Atlantis&sic=123",
        "entered_from=2026-09-02&entered_to=2026-09-01",
        "score_min=abc&has_email=maybe",
    ):
        lean = await http.get("/api/v1/companies?" + query, headers=analyst)
        plain = await http.get("/api/v1/exports/companies?" + query, headers=analyst)
        assert lean.status_code == plain.status_code == 422, query
        assert lean.json() == plain.json(), query
    lean = await http.get("/api/v1/companies/abc", headers=analyst)
    plain = await http.post("/api/v1/companies/abc/process", headers=analyst)
    assert lean.status_code == plain.status_code == 422
    assert lean.json() == plain.json()
    assert [error["loc"] for error in lean.json()["errors"]] == [["path", "company_number"]]
    # Credentials are checked before the input, as FastAPI solves dependencies first.
    assert (await http.get("/api/v1/companies?limit=0")).status_code == 401
    bad_token = {"Authorization": "Bearer nonsense"}
    assert (await http.get("/api/v1/companies/abc", headers=bad_token)).status_code == 401
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}
    assert (await http.get("/api/v1/leads", headers=basic)).status_code == 401


async def test_repeated_filters_match_any_of_their_values(
    http: httpx.AsyncClient, keys: dict[Role, str], loaded: list[str]
) -> None:
    everywhere = ["02000001", "02000003", "02000005"]
    query = "region=North+West&region=Scotland&sort=company_number&order=asc"
    assert await numbers(http, keys, query) == everywhere
    query = "postcode_area=M&postcode_area=EH&sort=company_number&order=asc"
    assert await numbers(http, keys, query) == everywhere


async def test_read_connections_come_back_outside_any_transaction(database_url: str) -> None:
    db = Database(database_url, "public")
    await db.open()
    reads = ReadPool(db, size=1)
    await reads.open()
    try:
        async with reads.acquire() as connection:
            await connection.execute("BEGIN")
            backend = await connection.fetchval("SELECT pg_backend_pid()")
        async with reads.acquire() as connection:
            assert await connection.fetchval("SELECT pg_backend_pid()") == backend
            assert not connection.is_in_transaction()
    finally:
        await reads.close()
        await db.close()


async def test_reads_use_the_service_pool_when_their_own_cannot_open(database_url: str) -> None:
    db = Database(database_url, "public")
    await db.open()
    try:
        unreachable = Database(f"postgresql://nobody@127.0.0.1:{free_port()}/none", "public")
        unreachable._pool = db.pool  # the service pool is open, the read pool's server is not
        reads = ReadPool(unreachable, size=1)
        await reads.open()
        async with reads.acquire() as connection:
            assert await connection.fetchval("SELECT 1") == 1
        await reads.close()
    finally:
        await db.close()


async def test_csv_cells_defuse_every_formula_start_and_dates_are_iso_whatever_the_datestyle(
    database_url: str,
) -> None:
    texts = ["=a", "+a", "-a", "@a", "\ta", "\ra", "a=", "", None]
    dates = [dt.date(2026, 1, 2), None, *[dt.date(2026, 12, 31)] * 7]
    sql = (
        f"SELECT {readmodel.csv_cell('v', 'text')} AS v, {readmodel.csv_cell('d', 'date')} AS d"
        " FROM unnest($1::text[], $2::date[]) WITH ORDINALITY AS t(v, d, n) ORDER BY n"
    )
    pool = await asyncpg.create_pool(
        database_url, min_size=1, max_size=1, server_settings={"DateStyle": "SQL, DMY"}
    )
    try:
        body = b"".join([chunk async for chunk in exports.copy_csv(pool, sql, [texts, dates])])
    finally:
        await pool.close()
    rows = list(csv.reader(io.StringIO(body.decode(), newline="")))
    assert rows[0] == ["v", "d"]
    assert [row[0] for row in rows[1:]] == [
        "'=a", "'+a", "'-a", "'@a", "'\ta", "'\ra", "a=", "", "",
    ]  # fmt: skip
    assert [row[1] for row in rows[1:3]] == ["2026-01-02", ""]
    assert rows[3][1] == "2026-12-31"


async def test_exports_stream_csv_jsonl_and_xlsx_with_chosen_fields(
    http: httpx.AsyncClient,
    keys: dict[Role, str],
    loaded: list[str],
    publish: Callable[[Any], Any],
    settle: Callable[[], Any],
    events: Any,
) -> None:
    headers = {"X-API-Key": keys[Role.ANALYST]}
    query = "/api/v1/exports/companies?sic=43910&fields=company_number,company_name,sic_codes"
    response = await http.get(query + "&format=csv", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-total-count"] == "2"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows == [
        ["company_number", "company_name", "sic_codes"],
        ["02000001", "ALPHA ROOFING LTD", "43910"],
        ["02000004", "DELTA ROOFING SERVICES LTD", "43910"],
    ]
    response = await http.get(query + "&format=jsonl", headers=headers)
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines[0] == {
        "company_number": "02000001",
        "company_name": "ALPHA ROOFING LTD",
        "sic_codes": ["43910"],
    }
    response = await http.get(query + "&format=xlsx", headers=headers)
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as workbook:
        sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
        strings = (
            workbook.read("xl/sharedStrings.xml").decode()
            if "xl/sharedStrings.xml" in workbook.namelist()
            else ""
        )
    assert "DELTA ROOFING SERVICES LTD" in sheet + strings
    await publish(events.observed("02999999", "=SUM(A1) LTD", sic=("99999",)))
    await settle()
    defused = await http.get(
        "/api/v1/exports/companies?sic=99999&fields=company_name,strike_off,sic_codes",
        headers=headers,
    )
    assert list(csv.reader(io.StringIO(defused.text))) == [
        ["company_name", "strike_off", "sic_codes"],
        ["'=SUM(A1) LTD", "false", "99999"],
    ]
    leads = await http.get(
        "/api/v1/exports/leads?format=csv&fields=company_number,email", headers=headers
    )
    assert sorted(csv.reader(io.StringIO(leads.text)))[:1] == [["02000001", "p0@x.example"]]
    refused = await http.get(
        "/api/v1/exports/companies?fields=company_number,password_hash", headers=headers
    )
    assert refused.status_code == 422
    assert "password_hash" in refused.json()["detail"]
    viewer_refused = await http.get("/api/v1/exports/companies", headers=viewer(keys))
    assert viewer_refused.status_code == 403


async def read_events(response: httpx.Response, count: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    async for line in response.aiter_lines():
        if line.startswith("id: "):
            current["id"] = line[4:]
        elif line.startswith("event: "):
            current["event"] = line[7:]
        elif line.startswith("data: "):
            current["data"] = json.loads(line[6:])
        elif line == "" and current:
            found.append(current)
            current = {}
            if len(found) == count:
                return found
    return found


async def test_live_feed_streams_filtered_events_and_resumes_after_last_event_id(
    http: httpx.AsyncClient,
    keys: dict[Role, str],
    publish: Callable[[Any], Any],
    events: Any,
    loaded: list[str],
) -> None:
    headers = viewer(keys)
    async with http.stream(
        "GET", "/api/v1/feed?kind=strike_off.entered", headers=headers
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reading = asyncio.create_task(read_events(response, 2))
        await publish(events.left("02000003", minutes=300))
        await publish(events.entered("03000001", "FOXTROT LTD"))
        await publish(events.entered("03000002", "GOLF LTD"))
        received = await asyncio.wait_for(reading, 20)
    assert [e["event"] for e in received] == ["strike_off.entered"] * 2
    assert [e["data"]["company_number"] for e in received] == ["03000001", "03000002"]
    first_id = received[0]["id"]
    async with http.stream(
        "GET",
        "/api/v1/feed?kind=strike_off.entered",
        headers={**headers, "Last-Event-ID": first_id},
    ) as response:
        resumed = await asyncio.wait_for(read_events(response, 1), 20)
    assert resumed[0]["data"]["company_number"] == "03000002"
    async with http.stream(
        "GET", "/api/v1/feed?since=0&company_number=02000003", headers=headers
    ) as response:
        history = await asyncio.wait_for(read_events(response, 3), 20)
    kinds = [e["event"] for e in history]
    assert sorted(kinds) == ["lead.new", "strike_off.entered", "strike_off.left"]
    assert kinds[-1] == "strike_off.left"  # published last, after the others were projected
