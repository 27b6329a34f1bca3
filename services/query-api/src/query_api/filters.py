"""The filters, sorts and pages of list queries, validated strictly and turned into SQL.

Every value reaches Postgres as a bind parameter; only fixed fragments chosen from the tables
below (never text from a request) are spliced into statements.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from query_api import domain

SicCode = Annotated[str, Field(pattern=r"^\d{5}$")]
Section = Literal[
    "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R",
    "S", "T", "U",
]  # fmt: skip
Region = Literal[
    "London",
    "South East",
    "East of England",
    "South West",
    "West Midlands",
    "East Midlands",
    "Yorkshire and The Humber",
    "North West",
    "North East",
    "Wales",
    "Scotland",
    "Northern Ireland",
    "Crown Dependencies",
    "Unknown",
]
PostcodeArea = Annotated[str, Field(pattern=r"^[A-Z]{1,2}$")]
Score = Annotated[float, Field(ge=-1_000_000, le=1_000_000)]
SortField = Literal["name", "entered_on", "left_on", "lead_score", "company_number"]

# sort name -> (SQL expression over the companies table, cursor value kind)
SORTS: dict[str, tuple[str, str]] = {
    "name": ("{p}company_name", "text"),
    "entered_on": ("coalesce({p}entered_on, DATE '0001-01-01')", "date"),
    "left_on": ("coalesce({p}left_on, DATE '0001-01-01')", "date"),
    "lead_score": ("coalesce({p}lead_score, -1)", "float"),
    "company_number": ("{p}company_number", "text"),
}


class CompanyFilter(BaseModel):
    """Which companies: every filter is optional and they combine with AND."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Literal["any", "strike_off", "left"] = Field(
        "any", description="`strike_off`: in proposal to strike off now; `left`: left it."
    )
    company_status: str | None = Field(
        None, pattern=r"^[a-z][a-z-]{0,39}$", description="Companies House company_status."
    )
    entered_from: dt.date | None = None
    entered_to: dt.date | None = None
    left_from: dt.date | None = None
    left_to: dt.date | None = None
    sic: list[SicCode] = Field(default_factory=list, max_length=20)
    sic_section: list[Section] = Field(default_factory=list, max_length=21)
    region: list[Region] = Field(default_factory=list, max_length=14)
    postcode_area: list[PostcodeArea] = Field(default_factory=list, max_length=50)
    has_officers: bool | None = None
    has_domain: bool | None = None
    has_email: bool | None = None
    synced: bool | None = None
    score_min: Score | None = None
    score_max: Score | None = None
    q: str | None = Field(None, min_length=1, max_length=100, description="Name search.")

    @field_validator("score_min", "score_max")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @model_validator(mode="after")
    def _ranges(self) -> CompanyFilter:
        pairs = (
            ("entered_from", "entered_to"),
            ("left_from", "left_to"),
            ("score_min", "score_max"),
        )
        for low, high in pairs:
            low_value, high_value = getattr(self, low), getattr(self, high)
            if low_value is not None and high_value is not None and low_value > high_value:
                raise ValueError(f"{low} must not be after {high}")
        return self


class Page(BaseModel):
    """Sorting and keyset pagination."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sort: SortField = "entered_on"
    order: Literal["asc", "desc"] = "desc"
    limit: int = Field(50, ge=1, le=500)
    cursor: str | None = Field(None, max_length=512)


class CompanyQuery(CompanyFilter, Page):
    """Query parameters of ``GET /companies``."""


class LeadQuery(CompanyFilter, Page):
    """Query parameters of ``GET /leads``."""

    smtp_status: Literal["valid", "unknown"] | None = None


@dataclasses.dataclass
class Params:
    """Bind parameters collected while a statement is built."""

    values: list[object] = dataclasses.field(default_factory=list)

    def add(self, value: object) -> str:
        """Bind ``value`` and return its positional parameter (``$n``)."""
        self.values.append(value)
        return f"${len(self.values)}"


def where_companies(f: CompanyFilter, params: Params, p: str = "") -> list[str]:
    """SQL conditions for a company filter; ``p`` prefixes company columns (``co.``)."""
    conditions: list[str] = []
    if f.status == "strike_off":
        conditions.append(f"{p}strike_off")
    elif f.status == "left":
        conditions.append(f"NOT {p}strike_off AND {p}left_on IS NOT NULL")
    if f.company_status:
        conditions.append(f"{p}company_status = {params.add(f.company_status)}")
    for column, low, high in (
        ("entered_on", f.entered_from, f.entered_to),
        ("left_on", f.left_from, f.left_to),
    ):
        if low is not None:
            conditions.append(f"{p}{column} >= {params.add(low)}")
        if high is not None:
            conditions.append(f"{p}{column} <= {params.add(high)}")
    if f.sic:
        conditions.append(f"{p}sic_codes && {params.add(list(f.sic))}::text[]")
    if f.sic_section:
        conditions.append(f"{p}sic_sections && {params.add(list(f.sic_section))}::text[]")
    if f.region:
        known = [region for region in f.region if region != "Unknown"]
        parts = [_one_of(f"{p}region", known, params)] if known else []
        if "Unknown" in f.region:
            parts.append(f"{p}region IS NULL")
        conditions.append("(" + " OR ".join(parts) + ")")
    if f.postcode_area:
        conditions.append(_one_of(f"{p}postcode_area", list(f.postcode_area), params))
    for flag, condition in (
        (f.has_officers, f"{p}officer_count > 0"),
        (f.has_domain, f"coalesce({p}domain_found, false)"),
        (f.has_email, f"{p}contact_count > 0"),
        (f.synced, f"{p}synced_count > 0"),
    ):
        if flag is not None:
            conditions.append(condition if flag else f"NOT ({condition})")
    if f.score_min is not None:
        conditions.append(f"{p}lead_score >= {params.add(f.score_min)}")
    if f.score_max is not None:
        conditions.append(f"{p}lead_score <= {params.add(f.score_max)}")
    if f.q:
        query = domain.search_query(f.q)
        if query is None:
            conditions.append("false")
        else:
            conditions.append(f"{p}name_tsv @@ to_tsquery('simple', {params.add(query)})")
    return conditions


def _one_of(column: str, values: Sequence[str], params: Params) -> str:
    # One value is compared with =, so that an index led by the column also yields the sort
    # order (the planner does not take = ANY of a one-element array as equality).
    if len(values) == 1:
        return f"{column} = {params.add(values[0])}"
    return f"{column} = ANY({params.add(list(values))}::text[])"


def sort_expression(sort: str, p: str = "") -> tuple[str, str]:
    """The SQL expression and cursor kind of a sort."""
    expression, kind = SORTS[sort]
    return expression.format(p=p), kind


def keyset(
    page: Page, params: Params, keys: list[str], kinds: tuple[str, ...]
) -> tuple[str | None, str]:
    """The keyset condition after ``page.cursor`` and the ORDER BY clause.

    Args:
        keys: SQL expressions of the sort key, most significant first (unique together).
        kinds: Cursor value kinds of ``keys``.

    Raises:
        domain.CursorError: The cursor is malformed or belongs to another sort.
    """
    direction = "DESC" if page.order == "desc" else "ASC"
    order_by = ", ".join(f"{key} {direction}" for key in keys)
    if page.cursor is None:
        return None, order_by
    values = domain.decode_cursor(page.cursor, f"{page.sort}:{page.order}", kinds)
    parameters = []
    for value, kind in zip(values, kinds, strict=True):
        cast = {"date": "::date", "float": "::float8", "text": "::text"}[kind]
        parameters.append(params.add(value) + cast)
    operator = "<" if page.order == "desc" else ">"
    condition = f"({', '.join(keys)}) {operator} ({', '.join(parameters)})"
    return condition, order_by
