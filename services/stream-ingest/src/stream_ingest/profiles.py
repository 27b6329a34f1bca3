"""Normalised company profiles (``CompanyProfile``) from stream/REST documents and CSV rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

from leadpipe_contracts import Address
from leadpipe_contracts.companies import CompanyProfile
from stream_ingest.envelope import ProfileView
from stream_ingest.statuses import map_csv_status

# Header positions of BasicCompanyData columns (0-based; reference C.3).
NAME, NUMBER, CARE_OF, PO_BOX, LINE_1, LINE_2, TOWN, COUNTY, COUNTRY, POSTCODE = range(10)
CATEGORY, STATUS, ORIGIN, DISSOLVED, INCORPORATED = range(10, 15)
ACCOUNTS_NEXT_DUE, ACCOUNTS_LAST, ACCOUNTS_CATEGORY = 17, 18, 19
SIC_FIRST = 26
CONF_NEXT_DUE = 53

_CATEGORY_TYPES: Final = {
    "Private Limited Company": "ltd",
    "Public Limited Company": "plc",
    "Limited Liability Partnership": "llp",
    "Limited Partnership": "limited-partnership",
    "Community Interest Company": "ltd",
    "Private Unlimited Company": "private-unlimited",
    "Private Unlimited": "private-unlimited",
    "Old Public Company": "old-public-company",
    "Charitable Incorporated Organisation": "charitable-incorporated-organisation",
    "Scottish Charitable Incorporated Organisation": (
        "scottish-charitable-incorporated-organisation"
    ),
    "Scottish Partnership": "scottish-partnership",
    "Registered Society": "registered-society-non-jurisdictional",
    "Industrial and Provident Society": "industrial-and-provident-society",
    "Royal Charter Company": "royal-charter",
    "Overseas Entity": "registered-overseas-entity",
    "PRI/LTD BY GUAR/NSC (Private, limited by guarantee, no share capital)": (
        "private-limited-guarant-nsc"
    ),
    "PRI/LBG/NSC (Private, Limited by guarantee, no share capital, use of 'Limited' exemption)": (
        "private-limited-guarant-nsc-limited-exemption"
    ),
    "PRIV LTD SECT. 30 (Private limited company, section 30 of the Companies Act)": (
        "private-limited-shares-section-30-exemption"
    ),
}
_NO_ACCOUNTS: Final = {"", "NO ACCOUNTS FILED", "ACCOUNTS TYPE NOT AVAILABLE"}


def uk_date(text: str) -> dt.date | None:
    """``dd/mm/yyyy`` → date; None for blanks and impossible dates."""
    if len(text) != 10:
        return None
    try:
        return dt.date(int(text[6:10]), int(text[3:5]), int(text[0:2]))
    except ValueError:
        return None


def _sic_code(text: str) -> str | None:
    code = text.split(" - ", 1)[0].strip()
    return code if len(code) == 5 and code.isdigit() else None


def _blank_none(text: str) -> str | None:
    return text or None


def profile_from_row(row: Sequence[str], as_of: dt.date) -> CompanyProfile:
    """The normalised profile of one (valid, 55-field) CSV row; overdue flags as of ``as_of``."""
    raw_status = row[STATUS].strip()
    api = map_csv_status(raw_status)
    sic = tuple(code for text in row[SIC_FIRST : SIC_FIRST + 4] if (code := _sic_code(text)))
    accounts_due = uk_date(row[ACCOUNTS_NEXT_DUE])
    confirmation_due = uk_date(row[CONF_NEXT_DUE])
    category = row[ACCOUNTS_CATEGORY].strip()
    address = Address(
        address_line_1=_blank_none(row[LINE_1]),
        address_line_2=_blank_none(row[LINE_2]),
        locality=_blank_none(row[TOWN]),
        region=_blank_none(row[COUNTY]),
        postal_code=_blank_none(row[POSTCODE]),
        country=_blank_none(row[COUNTRY]),
        care_of=_blank_none(row[CARE_OF]),
        po_box=_blank_none(row[PO_BOX]),
    )
    return CompanyProfile(
        company_number=row[NUMBER].strip().upper(),
        company_name=row[NAME],
        status=api.status,
        status_detail=api.detail,
        raw_status=raw_status,
        company_type=_CATEGORY_TYPES.get(row[CATEGORY].strip()),
        registered_office_address=address,
        sic_codes=sic,
        date_of_creation=uk_date(row[INCORPORATED]),
        date_of_cessation=uk_date(row[DISSOLVED]),
        accounts_next_due=accounts_due,
        accounts_overdue=None if accounts_due is None else accounts_due < as_of,
        accounts_category=(
            None if category in _NO_ACCOUNTS else category.lower().replace(" ", "-")
        ),
        confirmation_statement_next_due=confirmation_due,
        confirmation_statement_overdue=(
            None if confirmation_due is None else confirmation_due < as_of
        ),
    )


def profile_from_view(view: ProfileView) -> CompanyProfile:
    """The normalised profile of a stream event's ``data`` or a REST profile body."""
    accounts = view.accounts
    next_accounts = accounts.next_accounts if accounts else None
    last_accounts = accounts.last_accounts if accounts else None
    confirmation = view.confirmation_statement
    return CompanyProfile(
        company_number=view.company_number.upper(),
        company_name=view.company_name,
        status=view.company_status or "unknown",
        status_detail=view.company_status_detail,
        raw_status=view.company_status,
        company_type=view.type,
        registered_office_address=view.registered_office_address,
        sic_codes=tuple([code for code in view.sic_codes if len(code) == 5 and code.isdigit()]),
        date_of_creation=view.date_of_creation,
        date_of_cessation=view.date_of_cessation,
        accounts_next_due=(
            next_accounts.due_on
            if next_accounts and next_accounts.due_on
            else (accounts.next_due if accounts else None)
        ),
        accounts_overdue=(
            next_accounts.overdue
            if next_accounts and next_accounts.overdue is not None
            else (accounts.overdue if accounts else None)
        ),
        accounts_category=last_accounts.type if last_accounts else None,
        confirmation_statement_next_due=confirmation.next_due if confirmation else None,
        confirmation_statement_overdue=confirmation.overdue if confirmation else None,
        etag=view.etag,
    )
