"""Reading the read model: lists with keyset pages, details, statistics and analytics."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import msgspec

from leadpipe_db import Database, quote_ident
from query_api import domain
from query_api.filters import (
    CompanyFilter,
    CompanyQuery,
    LeadQuery,
    Params,
    keyset,
    sort_expression,
    where_companies,
)

log = logging.getLogger(__name__)


async def _reset_after_read(connection: asyncpg.Connection) -> None:
    # A read runs one statement outside any transaction and changes no session state, so the
    # connection goes back as it came; asyncpg's default reset would cost a round trip each time.
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


class ReadPool:
    """Connections for the read endpoints: single statements, returned without a reset.

    Separate from the service pool (whose connections run transactions, advisory locks and
    cursors and need asyncpg's full reset on release). Same URL and search path.

    Args:
        db: The service database (its URL and schema).
        size: Connections kept open.
    """

    def __init__(self, db: Database, size: int = 8) -> None:
        self._db = db
        self._size = size
        self._pool: asyncpg.Pool | None = None
        # Reads wait here, first come first served, never in the pool: a connection released
        # to the pool's queue goes to whichever task asks next, and a woken waiter that finds
        # it taken queues again at the back (at 64 concurrent requests over 8 connections,
        # p99 was 8 times the median). asyncio's Semaphore serves its waiters in order.
        self._turns = asyncio.Semaphore(size)

    async def open(self) -> None:
        """Open the connections (if Postgres refuses, reads keep using the service pool)."""
        try:
            self._pool = await asyncpg.create_pool(
                self._db.url,
                min_size=self._size,
                max_size=self._size,
                command_timeout=60,
                reset=_reset_after_read,
                server_settings={
                    "search_path": f"{quote_ident(self._db.schema)}, public",
                    "application_name": "query-api-reads",
                },
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("read pool not opened (%s): reads use the service pool", exc)

    async def close(self) -> None:
        """Close the connections."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection for one read (the service pool's while this pool is not open)."""
        pool = self._pool or self._db.pool
        async with self._turns, pool.acquire() as connection:
            yield connection


COMPANY_COLUMNS: dict[str, str] = {
    "company_number": "co.company_number",
    "company_name": "co.company_name",
    "company_status": "co.company_status",
    "company_type": "co.company_type",
    "strike_off": "co.strike_off",
    "strike_off_kind": "co.strike_off_kind",
    "entered_on": "co.entered_on",
    "left_on": "co.left_on",
    "left_reason": "co.left_reason",
    "postcode": "co.postcode",
    "postcode_area": "co.postcode_area",
    "region": "co.region",
    "sic_codes": "co.sic_codes",
    "date_of_creation": "co.date_of_creation",
    "accounts_overdue": "co.accounts_overdue",
    "officer_count": "co.officer_count",
    "domain": "co.domain",
    "contact_count": "co.contact_count",
    "synced_count": "co.synced_count",
    "lead_score": "co.lead_score",
}
LEAD_COLUMNS: dict[str, str] = {
    **COMPANY_COLUMNS,
    "contact_key": "c.contact_key",
    "first_name": "c.first_name",
    "last_name": "c.last_name",
    "role": "c.role",
    "email": "c.email",
    "smtp_status": "c.smtp_status",
    "confidence": "c.confidence",
    "officer_id": "c.officer_id",
    "crm_contact_id": "c.crm_contact_id",
    "sync_state": "c.sync_state",
    "found_at": "c.found_at",
}
COMPANY_SUMMARY = list(COMPANY_COLUMNS)
LEAD_SUMMARY = [
    "contact_key",
    "company_number",
    "company_name",
    "first_name",
    "last_name",
    "role",
    "email",
    "smtp_status",
    "confidence",
    "sync_state",
    "crm_contact_id",
    "strike_off",
    "entered_on",
    "region",
    "domain",
    "lead_score",
]


# How a column is written into CSV by Postgres (COPY … CSV), by field; the rest is text.
_CSV_KINDS: dict[str, str] = {
    "strike_off": "bool",
    "accounts_overdue": "bool",
    "sic_codes": "array",
    "entered_on": "date",
    "left_on": "date",
    "date_of_creation": "date",
    "found_at": "timestamp",
    "officer_count": "number",
    "contact_count": "number",
    "synced_count": "number",
    "lead_score": "number",
    "confidence": "number",
}


def csv_cell(expression: str, kind: str) -> str:
    """SQL rendering one column as a CSV cell.

    Text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab or CR first) gets a
    leading ``'`` (CSV injection); lists are joined with ``;``; dates and times are ISO 8601;
    booleans are ``true``/``false``.
    """
    if kind == "bool":
        return f"CASE WHEN {expression} THEN 'true' WHEN NOT {expression} THEN 'false' END"
    if kind == "date":
        # ISO 8601 by the export's DateStyle (``exports.copy_csv``): cheaper than to_char.
        return f"{expression}::text"
    if kind == "timestamp":
        return f"to_char({expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    if kind == "number":
        return expression
    text = f"array_to_string({expression}, ';')" if kind == "array" else expression
    # The first character's code (= + - @ tab CR): cheaper than comparing a substring.
    return f"CASE WHEN ascii({text}) IN (61, 43, 45, 64, 9, 13) THEN '''' || {text} ELSE {text} END"


def _select(columns: dict[str, str], fields: list[str], *, csv: bool = False) -> str:
    if csv:
        return ", ".join(
            f"{csv_cell(columns[name], _CSV_KINDS.get(name, 'text'))} AS {name}" for name in fields
        )
    return ", ".join(f"{columns[name]} AS {name}" for name in fields)


def _keys(sort: str) -> tuple[list[str], tuple[str, ...]]:
    expression, kind = sort_expression(sort, "co.")
    if sort == "company_number":
        return [expression], (kind,)
    return [expression, "co.company_number"], (kind, "text")


def companies_statement(
    query: CompanyFilter, fields: list[str], page: CompanyQuery | None, *, csv: bool = False
) -> tuple[str, list[object], list[str]]:
    """The SELECT of a company list (a page, or everything for an export).

    ``csv`` renders every column as its CSV cell text (for ``COPY … TO STDOUT CSV``).

    Returns:
        SQL, bind values, and the names of extra key columns appended for the cursor.
    """
    params = Params()
    conditions = where_companies(query, params, "co.")
    key_names: list[str] = []
    order = "co.company_number"
    # A page of the summary fields relays each company's stored item (migration 0006).
    stored = page is not None and fields == COMPANY_SUMMARY
    select = "co.list_item" if stored else _select(COMPANY_COLUMNS, fields, csv=csv)
    if page is not None:
        keys, kinds = _keys(page.sort)
        condition, order = keyset(page, params, keys, kinds)
        if condition:
            conditions.append(condition)
        key_names = [f"_k{index}" for index in range(len(keys))]
        select += ", " + ", ".join(
            f"{key} AS {name}" for key, name in zip(keys, key_names, strict=True)
        )
    source = f"companies co WHERE {' AND '.join(conditions) or 'true'}"
    if page is not None:
        items = None if stored else fields
        sql = _paged(select, source, order, items, key_names, params.add(page.limit + 1))
    else:
        sql = f"SELECT {select} FROM {source} ORDER BY {order}"  # noqa: S608 - fixed fragments
    return sql, params.values, key_names


def leads_statement(
    query: LeadQuery | CompanyFilter,
    fields: list[str],
    page: LeadQuery | None,
    *,
    csv: bool = False,
) -> tuple[str, list[object], list[str]]:
    """The SELECT of a lead list (contacts with their companies)."""
    params = Params()
    conditions = ["c.found", *where_companies(query, params, "co.")]
    smtp_status = getattr(query, "smtp_status", None)
    if smtp_status:
        conditions.append(f"c.smtp_status = {params.add(smtp_status)}")
    key_names: list[str] = []
    order = "co.company_number, c.contact_key"
    select = _select(LEAD_COLUMNS, fields, csv=csv)
    if page is not None:
        keys, kinds = _keys(page.sort)
        keys, kinds = [*keys, "c.contact_key"], (*kinds, "text")
        condition, order = keyset(page, params, keys, kinds)
        if condition:
            conditions.append(condition)
        key_names = [f"_k{index}" for index in range(len(keys))]
        select += ", " + ", ".join(
            f"{key} AS {name}" for key, name in zip(keys, key_names, strict=True)
        )
    source = f"contacts c JOIN companies co USING (company_number) WHERE {' AND '.join(conditions)}"
    if page is not None:
        sql = _paged(select, source, order, fields, key_names, params.add(page.limit + 1))
    else:
        sql = f"SELECT {select} FROM {source} ORDER BY {order}"  # noqa: S608 - fixed fragments
    return sql, params.values, key_names


def _paged(
    select: str,
    source: str,
    order: str,
    fields: list[str] | None,
    key_names: list[str],
    fetch: str,
) -> str:
    """One row for a keyset page: its items as a JSON array, whether more follow, the last keys.

    ``select`` names ``fields`` and ``key_names`` over ``source`` (tables and WHERE), read in
    ``order``; ``fetch`` is the parameter holding the page size plus one (the extra row only tells
    that another page exists). Postgres writes the items' JSON (``row_to_json``: ISO dates,
    arrays, numbers, compact), so the API relays it without decoding a row. With ``fields``
    None, ``select`` names ``list_item`` instead: each item's JSON as stored.
    """
    numbered = (
        f"SELECT {select}, row_number() OVER (ORDER BY {order}) AS _n"  # noqa: S608 - fixed fragments
        f" FROM {source} ORDER BY {order} LIMIT {fetch}"
    )
    item, lateral = "p.list_item", ""
    if fields is not None:
        item = "row_to_json(f)::text"
        lateral = f", LATERAL (SELECT {', '.join(f'p.{name}' for name in fields)}) AS f"
    last_keys = "".join(
        f", min(p.{name}) FILTER (WHERE p._n = {fetch} - 1) AS {name}" for name in key_names
    )
    return (
        f"SELECT '[' || coalesce(string_agg({item}, ',' ORDER BY p._n)"  # noqa: S608 - fixed fragments
        f" FILTER (WHERE p._n < {fetch}), '') || ']' AS items, count(*) = {fetch} AS more"
        f"{last_keys} FROM ({numbered}) AS p{lateral}"
    )


async def page_of(
    connection: asyncpg.Connection,
    sql: str,
    values: list[object],
    key_names: list[str],
    cursor_sort: str,
) -> dict[str, Any]:
    """Run a paged statement: ``items`` and the ``next_cursor`` (None on the last page)."""
    record = await connection.fetchrow(sql, *values)
    assert record is not None  # an aggregate without GROUP BY always returns its row
    next_cursor = None
    if record["more"]:
        next_cursor = domain.encode_cursor(cursor_sort, [record[name] for name in key_names])
    return {"items": msgspec.Raw(record["items"].encode()), "next_cursor": next_cursor}


# Built once at import rather than for every request (it never varies).
_DETAIL = (
    f"SELECT {_select(COMPANY_COLUMNS, COMPANY_SUMMARY)}, co.status_detail,"  # noqa: S608 - fixed fragments
    " co.address::text AS address, co.sic_sections, co.accounts_category,"
    " co.confirmation_overdue, co.has_individual_director, co.domain_found,"
    " co.strike_off_source,"
    " (SELECT coalesce(json_agg(json_build_object('transition', h.transition,"
    "   'on_date', h.on_date, 'kind', h.kind, 'reason', h.reason, 'source', h.source,"
    "   'signal', h.signal, 'occurred_at', h.occurred_at)"
    "   ORDER BY h.occurred_at, h.event_id), '[]')"
    "  FROM strikeoff_history h WHERE h.company_number = co.company_number)::text AS history,"
    " (SELECT coalesce(json_agg(json_build_object('contact_key', c.contact_key,"
    "   'first_name', c.first_name, 'last_name', c.last_name, 'role', c.role,"
    "   'email', c.email, 'smtp_status', c.smtp_status, 'confidence', c.confidence,"
    "   'sync_state', c.sync_state, 'crm_contact_id', c.crm_contact_id)"
    "   ORDER BY c.contact_key), '[]')"
    "  FROM contacts c WHERE c.company_number = co.company_number AND c.found)::text"
    "  AS contacts"
    " FROM companies co WHERE co.company_number = $1"
)


async def company_detail(connection: asyncpg.Connection, number: str) -> dict[str, Any] | None:
    """Everything the read model holds about one company, or None.

    One round trip: the history and the contacts come back as JSON built by Postgres and are
    passed through to the response undecoded (``msgspec.Raw``).
    """
    record = await connection.fetchrow(_DETAIL, number)
    if record is None:
        return None
    detail = dict(record)
    for name in ("address", "history", "contacts"):
        value = detail[name]
        detail[name] = None if value is None else msgspec.Raw(value.encode())
    return detail


async def officers_of(connection: asyncpg.Connection, number: str) -> list[dict[str, Any]] | None:
    """The listed officers of a company (None when the company is unknown)."""
    exists = await connection.fetchval(
        "SELECT true FROM companies WHERE company_number = $1", number
    )
    if not exists:
        return None
    rows = await connection.fetch(
        "SELECT officer_id, appointment_id, name, kind, role, surname, forenames, title,"
        " appointed_on, resigned_on, birth_month, birth_year, nationality, occupation,"
        " country_of_residence, address FROM officers WHERE company_number = $1"
        " ORDER BY position",
        number,
    )
    officers = []
    for row in rows:
        officer = dict(row)
        officer["address"] = json.loads(officer["address"]) if officer["address"] else None
        officers.append(officer)
    return officers


FUNNEL = (
    ("strike_off_detected", "entered_on IS NOT NULL"),
    ("officers_fetched", "officers_at IS NOT NULL"),
    ("with_individual_director", "has_individual_director"),
    ("domain_searched", "domain_found IS NOT NULL"),
    ("domain_found", "coalesce(domain_found, false)"),
    ("email_found", "contact_count > 0"),
    ("synced_to_crm", "synced_count > 0"),
)


async def stats(connection: asyncpg.Connection) -> dict[str, Any]:
    """Counts and the pipeline funnel."""
    funnel_sql = ", ".join(f"count(*) FILTER (WHERE {cond}) AS {name}" for name, cond in FUNNEL)
    row = await connection.fetchrow(
        "SELECT count(*) AS companies, count(*) FILTER (WHERE strike_off) AS in_strike_off,"  # noqa: S608 - fixed fragments
        " count(*) FILTER (WHERE NOT strike_off AND left_on IS NOT NULL) AS left_strike_off,"
        f" {funnel_sql} FROM companies"
    )
    contacts = await connection.fetchrow(
        "SELECT count(*) FILTER (WHERE found) AS contacts,"
        " count(*) FILTER (WHERE found AND sync_state = 'synced') AS synced,"
        " count(*) FILTER (WHERE sync_state = 'failed') AS sync_failed,"
        " (SELECT count(*) FROM officers) AS officers FROM contacts"
    )
    assert row is not None
    assert contacts is not None
    return {
        "companies": row["companies"],
        "in_strike_off": row["in_strike_off"],
        "left_strike_off": row["left_strike_off"],
        "officers": contacts["officers"],
        "contacts": contacts["contacts"],
        "contacts_synced": contacts["synced"],
        "contacts_sync_failed": contacts["sync_failed"],
        "funnel": [{"stage": name, "companies": row[name]} for name, _ in FUNNEL],
    }


async def transitions(
    connection: asyncpg.Connection, interval: str, start: dt.date, end: dt.date
) -> list[dict[str, Any]]:
    """Entries into and exits from strike-off per day, week or month."""
    rows = await connection.fetch(
        "SELECT date_trunc($1, on_date)::date AS period,"
        " count(*) FILTER (WHERE transition = 'entered') AS entered,"
        " count(*) FILTER (WHERE transition = 'left') AS left"
        " FROM strikeoff_history WHERE on_date BETWEEN $2 AND $3 GROUP BY 1 ORDER BY 1",
        interval,
        start,
        end,
    )
    return [dict(row) for row in rows]


async def sectors(connection: asyncpg.Connection) -> list[dict[str, Any]]:
    """Companies in strike-off per SIC section."""
    rows = await connection.fetch(
        "SELECT section, count(*) AS companies FROM companies, unnest(sic_sections) AS section"
        " WHERE strike_off GROUP BY section ORDER BY companies DESC, section"
    )
    return [
        {"section": row["section"], "name": domain.SECTION_NAMES.get(row["section"], ""),
         "companies": row["companies"]}
        for row in rows
    ]  # fmt: skip


async def regions(connection: asyncpg.Connection) -> list[dict[str, Any]]:
    """Companies in strike-off per region."""
    rows = await connection.fetch(
        "SELECT coalesce(region, 'Unknown') AS region, count(*) AS companies FROM companies"
        " WHERE strike_off GROUP BY 1 ORDER BY companies DESC, region"
    )
    return [dict(row) for row in rows]


async def snapshots(connection: asyncpg.Connection, kind: str) -> list[dict[str, Any]]:
    """The latest status events of one kind (``stream``, ``gateway``, ``credits``)."""
    rows = await connection.fetch(
        "SELECT payload FROM status_snapshots WHERE kind = $1 ORDER BY key DESC", kind
    )
    return [json.loads(row["payload"]) for row in rows]


async def dead_letters(connection: asyncpg.Connection, limit: int) -> dict[str, Any]:
    """How many messages were dead-lettered, and the newest of them."""
    total = await connection.fetchval("SELECT count(*) FROM dead_letters")
    rows = await connection.fetch(
        "SELECT consumer, subject, stream_sequence, deliveries, error, occurred_at"
        " FROM dead_letters ORDER BY occurred_at DESC, event_id LIMIT $1",
        limit,
    )
    return {"total": total, "recent": [dict(row) for row in rows]}
