"""One company as one row of BasicCompanyDataAsOneFile (C.3-C.6).

The header is the exact 55-column line (unquoted, 14 names with a leading space). Every data
field is double-quoted with embedded quotes doubled; dates are dd/mm/yyyy; SIC codes are
"NNNNN - Description"; counts are text; rows end with CRLF.
"""

from __future__ import annotations

from typing import Final, Literal

from .company_facts import CompanyFacts
from .dates import uk
from .reference_data import NONE_SUPPLIED, SIC_DESCRIPTIONS

HEADER: Final = (
    "CompanyName, CompanyNumber,RegAddress.CareOf,RegAddress.POBox,RegAddress.AddressLine1,"
    " RegAddress.AddressLine2,RegAddress.PostTown,RegAddress.County,RegAddress.Country,"
    "RegAddress.PostCode,CompanyCategory,CompanyStatus,CountryOfOrigin,DissolutionDate,"
    "IncorporationDate,Accounts.AccountRefDay,Accounts.AccountRefMonth,Accounts.NextDueDate,"
    "Accounts.LastMadeUpDate,Accounts.AccountCategory,Returns.NextDueDate,"
    "Returns.LastMadeUpDate,Mortgages.NumMortCharges,Mortgages.NumMortOutstanding,"
    "Mortgages.NumMortPartSatisfied,Mortgages.NumMortSatisfied,SICCode.SicText_1,"
    "SICCode.SicText_2,SICCode.SicText_3,SICCode.SicText_4,LimitedPartnerships.NumGenPartners,"
    "LimitedPartnerships.NumLimPartners,URI,PreviousName_1.CONDATE, PreviousName_1.CompanyName,"
    " PreviousName_2.CONDATE, PreviousName_2.CompanyName,PreviousName_3.CONDATE,"
    " PreviousName_3.CompanyName,PreviousName_4.CONDATE, PreviousName_4.CompanyName,"
    "PreviousName_5.CONDATE, PreviousName_5.CompanyName,PreviousName_6.CONDATE,"
    " PreviousName_6.CompanyName,PreviousName_7.CONDATE, PreviousName_7.CompanyName,"
    "PreviousName_8.CONDATE, PreviousName_8.CompanyName,PreviousName_9.CONDATE,"
    " PreviousName_9.CompanyName,PreviousName_10.CONDATE, PreviousName_10.CompanyName,"
    "ConfStmtNextDueDate, ConfStmtLastMadeUpDate"
)
COLUMNS: Final = 55
HEADER_LINE: Final = HEADER + "\r\n"
URI_PREFIX: Final = "http://business.data.gov.uk/id/company/"

MalformedKind = Literal["field_count", "bad_quote", "invalid_utf8"]
MALFORMED_KINDS: Final[tuple[MalformedKind, ...]] = ("field_count", "bad_quote", "invalid_utf8")
INVALID_UTF8_MARK: Final = "\x00INVALID\x00"  # replaced by undecodable bytes after encoding
INVALID_UTF8_BYTES: Final = b"\xff\xfe\xc3\x28"

_EMPTY_PREVIOUS: Final = ("",) * 20
_EMPTY_SIC: Final = ("", "", "", "")


def _sic_text(code: str) -> str:
    return f"{code} - {SIC_DESCRIPTIONS.get(code, 'Unknown')}"


_SIC_TEXT: Final = {code: _sic_text(code) for code in SIC_DESCRIPTIONS}


def row_fields(facts: CompanyFacts) -> list[str]:
    """The 55 unquoted field values of a company."""
    a = facts.address
    acc = facts.accounts
    cs = facts.confirmation
    if facts.sic:
        sic = [_SIC_TEXT.get(code) or _sic_text(code) for code in facts.sic[:4]]
        sic += _EMPTY_SIC[len(sic) :]
    else:
        sic = [NONE_SUPPLIED, "", "", ""]
    if facts.previous_names:
        previous: list[str] = []
        for p in facts.previous_names[:10]:
            previous += (uk(p.ceased_on), p.name)
        previous += _EMPTY_PREVIOUS[len(previous) :]
    else:
        previous = list(_EMPTY_PREVIOUS)
    charges = facts.charges
    return [
        facts.name,
        facts.number,
        a.care_of,
        a.po_box,
        a.line_1,
        a.line_2,
        a.town,
        a.county,
        a.country,
        a.postcode,
        facts.kind.csv_category,
        facts.bulk_status,
        "United Kingdom",
        uk(facts.ceased),
        uk(facts.created),
        str(acc.ref_day) if acc else "",
        str(acc.ref_month) if acc else "",
        uk(acc.next_due) if acc else "",
        uk(acc.last_made_up) if acc else "",
        acc.csv_category if acc else "",
        uk(facts.returns_next_due),
        uk(facts.returns_last_made_up),
        str(charges[0]),
        str(charges[1]),
        str(charges[2]),
        str(charges[3]),
        *sic,
        str(facts.partners[0]),
        str(facts.partners[1]),
        URI_PREFIX + facts.number,
        *previous,
        uk(cs.next_due) if cs else "",
        uk(cs.last_made_up) if cs else "",
    ]


def render_row(facts: CompanyFacts) -> str:
    """The CSV line of a company, CRLF-terminated."""
    fields = row_fields(facts)
    # Only free-text fields can hold quotes; numbers, dates and codes never do.
    for i in (0, 2, 4, 5, 34, 36, 38, 40, 42, 44, 46, 48, 50, 52):
        if '"' in fields[i]:
            fields[i] = fields[i].replace('"', '""')
    return '"' + '","'.join(fields) + '"\r\n'


def render_malformed_row(facts: CompanyFacts, kind: MalformedKind) -> str:
    """A deliberately broken line for importer tests. ``invalid_utf8`` rows carry a marker
    that the writer replaces with undecodable bytes after encoding."""
    fields = row_fields(facts)
    if kind == "field_count":
        # Odd rows lose the last column, even rows gain one: both are 55 +- 1 fields.
        if facts.position % 2:
            fields = fields[:-1]
        else:
            fields.append("EXTRA")
        return '"' + '","'.join(f.replace('"', '""') for f in fields) + '"\r\n'
    if kind == "bad_quote":
        # A quote inside a quoted field that is not doubled.
        fields[0] = f'{fields[0].replace(chr(34), "")} "UNESCAPED" NAME'
        return '"' + '","'.join(fields) + '"\r\n'
    fields[0] = f"{fields[0].replace(chr(34), '')} {INVALID_UTF8_MARK}"
    return '"' + '","'.join(f.replace('"', '""') for f in fields) + '"\r\n'
