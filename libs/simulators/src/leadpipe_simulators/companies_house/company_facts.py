"""The facts of one synthetic company, derived from ``(seed, index)`` alone.

``CompanyFacts`` is the single source both renderings use: the REST/stream profile JSON
(``resources.py``) and the bulk CSV row (``bulk_rows.py``), so the three interfaces agree.
Dates are relative to the population's snapshot date ``as_of``.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Final, NamedTuple

from . import reference_data as ref
from .company_numbers import BLOCK
from .dates import DAY, add_months, add_years, date_for_series_fraction, days_in_month, month_end
from .draws import Draws, entity_key, mix64

_CS_START: Final = date(2016, 6, 30)  # confirmation statements replaced annual returns


class Address(NamedTuple):
    """A registered office address as the bulk file holds it (upper case)."""

    care_of: str
    po_box: str
    line_1: str
    line_2: str
    town: str
    county: str
    country: str
    postcode: str


class Accounts(NamedTuple):
    ref_day: int
    ref_month: int
    last_made_up: date | None
    last_period_start: date | None
    next_period_start: date
    next_made_up_to: date
    next_due: date
    overdue: bool
    csv_category: str
    api_type: str | None


class ConfirmationStatement(NamedTuple):
    last_made_up: date | None
    next_made_up_to: date
    next_due: date
    overdue: bool


class PreviousName(NamedTuple):
    name: str
    effective_from: date
    ceased_on: date


class CompanyFacts(NamedTuple):
    """Everything the simulator knows about one company in one state (immutable; changes
    are new values made with ``_replace``)."""

    position: int  # index in the population (NamedTuple reserves "index")
    number: str
    name: str
    kind: ref.CompanyKind
    bulk_status: str
    status: str
    status_detail: str | None
    strike_off_kind: str | None  # "voluntary" / "compulsory" while proposed for strike-off
    insolvent: bool
    jurisdiction: str
    created: date
    ceased: date | None
    address: Address
    sic: tuple[str, ...]  # SIC codes; empty means "None Supplied"
    accounts: Accounts | None  # None for limited partnerships
    confirmation: ConfirmationStatement | None
    returns_next_due: date | None
    returns_last_made_up: date | None
    charges: tuple[int, int, int, int]  # total, outstanding, part satisfied, satisfied
    partners: tuple[int, int]  # general, limited (limited partnerships only)
    previous_names: tuple[PreviousName, ...]  # most recent first
    officer_count: int
    etag: str
    has_super_secure_pscs: bool | None
    multiline: int  # embedded newlines in the address (physical CSV lines beyond one)

    @property
    def is_strike_off(self) -> bool:
        return self.status_detail == ref.STRIKE_OFF_DETAIL


def status_roll(seed: int, index: int) -> int:
    """The cheap hash that fixes a company's base status (used to scan without generating)."""
    return mix64(mix64(seed) ^ index)


def base_status(seed: int, index: int) -> ref.BulkStatus:
    """A company's bulk status as of the snapshot, without generating the rest of it."""
    if index % BLOCK == 7:  # limited partnerships have no strike-off or insolvency states here
        return ref.ACTIVE
    return ref.STATUS_TABLE.pick_by(status_roll(seed, index) % 1_000_000)


def _postcode(d: Draws, district: str) -> str:
    letters = ref.POSTCODE_LETTERS
    roll = d.u32()  # one draw feeds all three characters
    roll, digit = divmod(roll, 10)
    roll, first = divmod(roll, 20)
    return f"{district} {digit}{letters[first]}{letters[roll % 20]}"


def _street(d: Draws) -> str:
    roll, house = divmod(d.u32(), 180)
    roll, name = divmod(roll, len(ref.STREET_NAMES))
    return f"{house + 1} {ref.STREET_NAMES[name]} {ref.STREET_TYPES[roll % len(ref.STREET_TYPES)]}"


def generate_address(d: Draws, prefix: str) -> Address:
    """A registered office in the part of the UK the number prefix belongs to."""
    # Small decisions share draws (mixed radix) because this runs millions of times.
    flags, care = divmod(d.u32(), 1000)
    flags, box = divmod(flags, 1000)
    agent = flags % 100
    shape, style = divmod(d.u32(), 100)
    shape, small = divmod(shape, 1000)
    shape, locality = divmod(shape, 10)
    shape, county_roll = divmod(shape, 10)
    country_roll = shape % 100
    care_of = d.pick(ref.CARE_OF) if care < 15 else ""
    po_box = f"PO BOX {d.between(100, 9999)}" if box < 4 else ""
    if prefix == "SC":
        towns = ref.SCOTLAND_TOWNS
    elif prefix == "NI":
        towns = ref.NORTHERN_IRELAND_TOWNS
    else:
        if agent < 8:
            line_1, line_2, town, postcode = d.pick(ref.FORMATION_AGENT_ADDRESSES)
            country = "UNITED KINGDOM" if country_roll < 50 else "ENGLAND"
            return Address(care_of, po_box, line_1, line_2, town, "", country, postcode)
        towns = ref.ENGLAND_TOWNS
    place = towns.pick(d)
    line_2 = ""
    if style < 55:
        line_1 = _street(d)
    elif style < 65:
        line_1 = f"UNIT {1 + small % 40}, {d.pick(ref.BUILDING_NAMES)}"
    elif style < 73:
        line_1 = f"FLAT {1 + small % 30}"
        line_2 = _street(d)
    elif style < 88:
        line_1 = d.pick(ref.BUILDING_NAMES)
        line_2 = _street(d)
    elif style < 93:
        line_1 = f"SUITE {1 + small % 20}, {_street(d)}"
    else:
        first = 1 + small % 90
        line_1 = f"{first}-{first + 2 + small % 7} {d.pick(ref.STREET_NAMES)} STREET"
    if not line_2 and locality < 3:
        line_2 = d.pick(ref.LOCALITIES)
    if d.below(4000) == 0:
        # A few real rows carry a line break inside the address; importers must cope.
        line_1 = f"{d.pick(ref.BUILDING_NAMES)}\n{line_1}"
    county = place.county if county_roll < 6 else ""
    if country_roll < 60:
        country = place.country
    elif country_roll < 92:
        country = "UNITED KINGDOM"
    else:
        country = ""
    postcode = _postcode(d, d.pick(place.districts))
    return Address(care_of, po_box, line_1, line_2, place.town, county, country, postcode)


def generate_name(d: Draws, kind: ref.CompanyKind, industry: ref.Industry) -> str:
    """A plausible registered name; some carry commas, quotes or ampersands like real ones."""
    trade = d.pick(industry.words)
    style = d.below(1000)
    if style < 480:
        base = f"{d.pick(ref.NAME_WORDS)} {trade}"
    elif style < 600:
        base = f"{d.pick(ref.SURNAMES)} {trade}"
    elif style < 670:
        base = f"{d.pick(ref.SURNAMES)} & {d.pick(ref.SURNAMES)} {trade}"
    elif style < 700:
        base = f"{d.pick(ref.SURNAMES)}, {d.pick(ref.SURNAMES)} & PARTNERS"
    elif style < 715:
        base = f'THE "{d.pick(ref.NAME_WORDS)} {trade}"'
    elif style < 760:
        base = f"{d.pick(ref.NAME_WORDS)} {d.between(10, 9999)}"
    elif style < 840:
        base = f"{d.pick(ref.FORENAMES).upper()} {d.pick(ref.SURNAMES)} {trade}"
    elif style < 930:
        base = f"{d.pick(ref.NAME_WORDS)} {d.pick(ref.NAME_WORDS)}"
    else:
        base = f"{d.pick(ref.NAME_WORDS)} {trade} ({d.pick(ref.NAME_WORDS)})"
    return f"{base} {d.pick(kind.suffixes)}"


def _kind_for(prefix: str, d: Draws) -> ref.CompanyKind:
    if prefix == "OC":
        return ref.LLP
    if prefix == "LP":
        return ref.LP
    return ref.NUMBERED_KINDS.pick(d)


def _jurisdiction(prefix: str, address: Address) -> str:
    if prefix == "SC":
        return "scotland"
    if prefix == "NI":
        return "northern-ireland"
    if address.country == "WALES" and address.postcode.startswith("CF1"):
        return "wales"
    return "england-wales"


class _AccountDates(NamedTuple):
    last_made_up: date | None
    last_period_start: date | None
    next_period_start: date
    next_made_up_to: date
    next_due: date


@lru_cache(maxsize=262_144)
def _account_dates(
    created: date, as_of: date, lag: int, ard_month: int, early: bool
) -> _AccountDates:
    """Accounts periods for a company; cached because millions of companies share inputs."""
    # The first period ends on the reference date 6 to 18 months after incorporation.
    year = created.year
    first_end = month_end(year, ard_month)
    while first_end < created + timedelta(days=183):
        year += 1
        first_end = month_end(year, ard_month)
    first_due = add_months(created, 21)

    def period_end(k: int) -> date:
        return month_end(first_end.year + k, ard_month)

    due_count = 0
    if first_due <= as_of:
        cutoff = add_months(as_of, -9)
        last_year = cutoff.year if month_end(cutoff.year, ard_month) <= cutoff else cutoff.year - 1
        due_count = 1 + max(0, last_year - first_end.year)
    filed = max(0, due_count - lag)
    if lag == 0 and early and period_end(filed) < as_of:
        filed += 1  # filed before the deadline
    if filed == 0:
        return _AccountDates(None, None, created, first_end, first_due)
    last = period_end(filed - 1)
    last_start = created if filed == 1 else period_end(filed - 2) + DAY
    next_end = period_end(filed)
    return _AccountDates(last, last_start, last + DAY, next_end, add_months(next_end, 9))


def _accounts(d: Draws, created: date, as_of: date, lag: int, dormant: bool) -> Accounts:
    roll = d.below(100)
    ard_month = created.month if roll < 65 else 3 if roll < 85 else 12
    dates = _account_dates(created, as_of, lag, ard_month, d.chance(0.4))
    if dates.last_made_up is None:
        csv_category, api_type = ref.NO_ACCOUNTS_FILED, None
    elif dormant:
        csv_category, api_type = "DORMANT", "dormant"
    else:
        csv_category, api_type = ref.ACCOUNT_CATEGORIES.pick(d)
    return Accounts(
        days_in_month(2001, ard_month),
        ard_month,
        dates.last_made_up,
        dates.last_period_start,
        dates.next_period_start,
        dates.next_made_up_to,
        dates.next_due,
        dates.next_due < as_of,
        csv_category,
        api_type,
    )


@lru_cache(maxsize=262_144)
def _confirmation(created: date, as_of: date, lag: int) -> ConfirmationStatement:
    years = as_of.year - created.year
    if years > 0 and add_years(created, years) + timedelta(days=14) > as_of:
        years -= 1
    filed = max(0, years - lag)
    last = add_years(created, filed) if filed else None
    next_made_up = add_years(created, filed + 1)
    next_due = next_made_up + timedelta(days=14)
    return ConfirmationStatement(last, next_made_up, next_due, next_due < as_of)


@lru_cache(maxsize=65_536)
def _returns(created: date) -> tuple[date | None, date | None]:
    if created >= _CS_START:
        return None, None
    years = _CS_START.year - created.year
    if add_years(created, years) >= _CS_START:
        years -= 1
    last = add_years(created, years) if years >= 1 else None
    return last, add_years(created, years + 1) + timedelta(days=28)


def _officer_count(d: Draws, kind: ref.CompanyKind) -> int:
    if kind is ref.LP:
        return d.between(1, 2)
    roll = d.below(100_000)
    if roll < 52_000:
        count = 1
    elif roll < 80_000:
        count = 2
    elif roll < 90_000:
        count = 3
    elif roll < 96_000:
        count = d.between(4, 6)
    elif roll < 99_300:
        count = d.between(7, 20)
    elif roll < 99_900:
        count = d.between(21, 60)
    elif roll < 99_970:
        count = d.between(61, 100)
    else:
        count = d.between(101, 400)
    return max(count, 2) if kind is ref.LLP else count


def generate_company(
    seed: int, index: int, number: str, series_fraction: float, as_of: date
) -> CompanyFacts:
    """Derive company ``index`` of the population seeded with ``seed``, as of ``as_of``."""
    d = Draws(entity_key(seed, index, b"company"))
    roll = status_roll(seed, index)
    status = ref.ACTIVE if index % BLOCK == 7 else ref.STATUS_TABLE.pick_by(roll % 1_000_000)
    prefix = "" if number[0].isdigit() else number[:2]
    kind = _kind_for(prefix, d)
    industry = ref.INDUSTRY_TABLE.pick(d)
    strike_off_kind: str | None = None
    if status is ref.STRIKE_OFF:
        strike_off_kind = "voluntary" if (roll >> 40) % 100 < 30 else "compulsory"

    created = date_for_series_fraction(series_fraction) + timedelta(days=d.between(-40, 40))
    newest = as_of - timedelta(days=1)
    if strike_off_kind == "compulsory" or status.insolvent:
        newest = as_of - timedelta(days=700 + d.below(400))
    elif strike_off_kind == "voluntary":
        newest = as_of - timedelta(days=120 + d.below(300))
    if created > newest:
        created = newest - timedelta(days=d.below(60))

    address = generate_address(d, prefix)
    dormant = industry.code == "99999"
    # Percent-level decisions share two draws (mixed radix); see generate_address.
    rolls, sic_roll = divmod(d.u32(), 100)
    rolls, legacy_roll = divmod(rolls, 100)
    rolls, accounts_roll = divmod(rolls, 100)
    cs_roll = rolls % 100
    rolls, charges_roll = divmod(d.u32(), 100)
    rolls, previous_roll = divmod(rolls, 100)
    rolls, secure_roll = divmod(rolls, 2)
    extra = rolls % 100
    if kind is ref.LP:
        sic: tuple[str, ...] = ()
    elif sic_roll < 2:
        sic = ()
    elif legacy_roll < 1 and created.year < 2008:
        sic = (d.pick(ref.LEGACY_SIC)[0],)
    else:
        extras = 0 if extra < 72 else 1 if extra < 90 else 2 if extra < 97 else 3
        sic = (industry.code, *(ref.INDUSTRY_TABLE.pick(d).code for _ in range(extras)))
        sic = tuple(dict.fromkeys(sic))

    if strike_off_kind == "compulsory":
        accounts_lag, cs_lag = (1 + d.below(2), d.below(2)) if d.chance(0.85) else (0, 1)
    elif status.insolvent:
        accounts_lag, cs_lag = d.between(1, 3), d.below(3)
    else:
        accounts_lag = 1 if accounts_roll < 6 else 0
        cs_lag = 1 if cs_roll < 4 else 0

    if kind is ref.LP:
        accounts = None
        confirmation = None
        returns_last = returns_next = None
    else:
        accounts = _accounts(d, created, as_of, accounts_lag, dormant)
        confirmation = _confirmation(created, as_of, cs_lag)
        returns_last, returns_next = _returns(created)

    if charges_roll < 12 or status.insolvent:
        total = d.between(1, 12)
        outstanding = d.between(0, total)
        part = 1 if outstanding < total and d.chance(0.1) else 0
        charges = (total, outstanding, part, total - outstanding - part)
    else:
        charges = (0, 0, 0, 0)
    partners = (d.between(1, 2), d.between(1, 30)) if kind is ref.LP else (0, 0)

    previous: list[PreviousName] = []
    if previous_roll < 7:
        ceased = as_of
        for _ in range(d.between(1, 3)):
            span = (ceased - created).days
            if span < 60:
                break
            ceased = created + timedelta(days=d.below(span - 30) + 30)
            previous.append(PreviousName(generate_name(d, kind, industry), created, ceased))
        # Each earlier name ran from incorporation (or the previous change) to its change date.
        fixed: list[PreviousName] = []
        for i, item in enumerate(previous):
            start = previous[i + 1].ceased_on if i + 1 < len(previous) else created
            fixed.append(PreviousName(item.name, start, item.ceased_on))
        previous = fixed

    return CompanyFacts(
        position=index,
        number=number,
        name=generate_name(d, kind, industry),
        kind=kind,
        bulk_status=status.csv,
        status=status.api,
        status_detail=ref.STRIKE_OFF_DETAIL if strike_off_kind else None,
        strike_off_kind=strike_off_kind,
        insolvent=status.insolvent,
        jurisdiction=_jurisdiction(prefix, address),
        created=created,
        ceased=None,
        address=address,
        sic=sic,
        accounts=accounts,
        confirmation=confirmation,
        returns_next_due=returns_next,
        returns_last_made_up=returns_last,
        charges=charges,
        partners=partners,
        previous_names=tuple(previous),
        officer_count=_officer_count(d, kind),
        etag=d.hex(20),
        has_super_secure_pscs=False if secure_roll else None,
        multiline=address.line_1.count("\n"),
    )
