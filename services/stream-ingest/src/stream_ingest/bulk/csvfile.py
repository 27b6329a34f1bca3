"""Streaming parse of a BasicCompanyData CSV with validation (reference C.3-C.5).

Python's C-accelerated ``csv`` module does the parsing: quoted fields, doubled quotes, embedded
commas and newlines, CRLF or LF. ``strict`` quoting turns a stray quote into an error for that
row, not a silent merge. Bytes that are not UTF-8 are replaced (U+FFFD) and counted; the rows
they were in are logged. A row that does not have 55 fields, or that the parser rejects, is
reported with the physical line where it starts and why, and parsing goes on.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from collections.abc import Callable, Iterator
from typing import BinaryIO, Final, NamedTuple

log = logging.getLogger(__name__)

COLUMNS: Final = (
    "CompanyName",
    "CompanyNumber",
    "RegAddress.CareOf",
    "RegAddress.POBox",
    "RegAddress.AddressLine1",
    "RegAddress.AddressLine2",
    "RegAddress.PostTown",
    "RegAddress.County",
    "RegAddress.Country",
    "RegAddress.PostCode",
    "CompanyCategory",
    "CompanyStatus",
    "CountryOfOrigin",
    "DissolutionDate",
    "IncorporationDate",
    "Accounts.AccountRefDay",
    "Accounts.AccountRefMonth",
    "Accounts.NextDueDate",
    "Accounts.LastMadeUpDate",
    "Accounts.AccountCategory",
    "Returns.NextDueDate",
    "Returns.LastMadeUpDate",
    "Mortgages.NumMortCharges",
    "Mortgages.NumMortOutstanding",
    "Mortgages.NumMortPartSatisfied",
    "Mortgages.NumMortSatisfied",
    "SICCode.SicText_1",
    "SICCode.SicText_2",
    "SICCode.SicText_3",
    "SICCode.SicText_4",
    "LimitedPartnerships.NumGenPartners",
    "LimitedPartnerships.NumLimPartners",
    "URI",
    *(
        name
        for n in range(1, 11)
        for name in (f"PreviousName_{n}.CONDATE", f"PreviousName_{n}.CompanyName")
    ),
    "ConfStmtNextDueDate",
    "ConfStmtLastMadeUpDate",
)
STATUS_COLUMN: Final = COLUMNS.index("CompanyStatus")
_REPLACE_HANDLER: Final = "stream_ingest.count_replace"


class HeaderError(Exception):
    """The header is not the 55-column BasicCompanyData header; the message names the column."""


class Rejected(NamedTuple):
    """A row that could not be used."""

    line: int
    reason: str
    raw: str | None


class _Replacements:
    count = 0


def _count_replace(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    _Replacements.count += 1
    return "\ufffd", error.end


codecs.register_error(_REPLACE_HANDLER, _count_replace)


def check_header(fields: list[str]) -> None:
    """Validate the stripped header names.

    Raises:
        HeaderError: Naming the first column that differs, or the column count.
    """
    names = [name.strip().lstrip("\ufeff") for name in fields]
    for index, expected in enumerate(COLUMNS):
        found = names[index] if index < len(names) else None
        if found != expected:
            shown = "missing" if found is None else repr(found)
            raise HeaderError(
                f"header column {index + 1} should be {expected!r} but is {shown}"
                f" (the header has {len(names)} columns, expected {len(COLUMNS)})"
            )
    if len(names) != len(COLUMNS):
        raise HeaderError(
            f"header has {len(names)} columns, expected {len(COLUMNS)}: unexpected column"
            f" {len(COLUMNS) + 1} {names[len(COLUMNS)]!r}"
        )


class CsvRows:
    """The rows of one snapshot CSV file.

    Iterating yields ``(line, fields)`` for rows that pass ``keep`` (all well-formed rows when
    it is None); rejected rows go to ``rejected``. Counters are filled as it goes.
    """

    def __init__(
        self,
        binary: BinaryIO,
        *,
        keep: Callable[[list[str]], bool] | None = None,
    ) -> None:
        self._text = io.TextIOWrapper(
            binary, encoding="utf-8", errors=_REPLACE_HANDLER, newline="", write_through=True
        )
        self._keep = keep
        self.rows_read = 0
        self.matched = 0
        self.replaced_rows = 0
        self.rejected: list[Rejected] = []
        self._replacements_before = _Replacements.count

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(self._text, strict=True)
        try:
            header = next(reader)
        except StopIteration:
            raise HeaderError("the file is empty: no header") from None
        except csv.Error as exc:
            raise HeaderError(f"the header line cannot be parsed: {exc}") from exc
        check_header(header)
        keep = self._keep
        expected = len(COLUMNS)
        end = reader.line_num
        clean_so_far = self._replacements_before
        while True:
            start = end + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                end = reader.line_num
                self.rows_read += 1
                self.rejected.append(Rejected(start, f"unparseable row: {exc}", None))
                continue
            end = reader.line_num
            if not row:
                continue  # a blank line (e.g. a trailing newline) is no row
            self.rows_read += 1
            if len(row) != expected:
                self.rejected.append(
                    Rejected(start, f"{len(row)} fields, expected {expected}", ",".join(row)[:2000])
                )
                continue
            # Rows are only searched for U+FFFD once the decoder has replaced something.
            if _Replacements.count != clean_so_far and any("\ufffd" in f for f in row):
                self.replaced_rows += 1
                if self.replaced_rows <= 100:
                    log.warning(
                        "invalid UTF-8 replaced",
                        extra={"line": start, "company_number": row[1].strip()},
                    )
            if keep is None or keep(row):
                self.matched += 1
                yield start, row
