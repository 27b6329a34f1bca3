"""Streaming parse of a BasicCompanyData CSV with validation (reference C.3-C.5).

The rows mean what Python's ``csv`` module (strict quoting, ``newline=''``) reads: quoted fields,
doubled quotes, embedded commas and newlines, CRLF or LF; a stray quote makes its row an error,
not a silent merge. Bytes that are not UTF-8 are replaced (U+FFFD) and counted, and the rows they
were in are logged. A row that does not have 55 fields, or that the parser rejects, is reported
with the physical line where it starts and why, and parsing goes on.

Running the ``csv`` module over every row of a 2.7 GB file costs most of an import, so the file
is read in large blocks split into lines, and a line is taken whole when a few byte counts prove
that ``csv`` would read it as exactly 55 quoted fields: it starts with ``"``, ends with ``"`` (and
the ``\\r`` of CRLF), holds 110 quotes and 54 ``","`` separators, and neither end quote belongs to
a separator. Then every quote is a field boundary, so splitting on ``","`` gives the fields the
parser would. Companies House quotes every field (C.4), so almost every line qualifies. Any other
line (a doubled quote, a value spanning lines, a wrong field count, a stray quote, a lone ``\\r``)
is read by the ``csv`` module itself, from that line, until it is back at a line boundary. With a
``needle`` (bytes every wanted row contains, e.g. the strike-off status text), lines without it
are counted and validated but never decoded or split.
"""

from __future__ import annotations

import codecs
import csv
import logging
import re
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
BLOCK_SIZE: Final = 4 << 20
_REPLACE_HANDLER: Final = "stream_ingest.count_replace"
_QUOTES: Final = 2 * len(COLUMNS)
_SEPARATORS: Final = len(COLUMNS) - 1
# A longer line may hold a field the csv module refuses ("field larger than field limit").
_LONGEST_FAST_LINE: Final = csv.field_size_limit()
# Where a decoded line splits into the lines the csv module counts (newline='' splits at a lone
# \r too, and such a line is never taken by the fast path).
_LONE_CR: Final = re.compile(r"(?<=\r)(?!\n)")
_LOGGED_REPLACEMENTS: Final = 100
_ENCODED_REPLACEMENT: Final = "\ufffd".encode()


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


class _Lines:
    """The lines of a binary stream (split at ``\\n``, which is dropped), a block at a time.

    ``lines[index:]`` are the lines of the current block not yet consumed. Per block it knows
    whether every ``\\r`` ends a line (``crlf_only``) and whether the bytes are valid UTF-8.
    """

    def __init__(self, binary: BinaryIO, block_size: int) -> None:
        self._binary = binary
        self._block_size = block_size
        self._carry = b""
        self.lines: list[bytes] = []
        self.index = 0
        self.crlf_only = True
        self.utf8 = True
        self.replacement_char = False  # holds U+FFFD (encoded)
        self.last_unterminated = False  # the final line of the file has no line break

    def refill(self) -> bool:
        """Load the next block; False at the end of the stream."""
        read = self._binary.read
        data = self._carry
        while True:
            chunk = read(self._block_size)
            if not chunk:
                self._carry = b""
                if not data:
                    self.lines, self.index = [], 0
                    return False
                self._load(data, [data])
                self.last_unterminated = True
                return True
            data = data + chunk if data else chunk
            cut = data.rfind(b"\n")
            if cut != -1:
                self._carry = data[cut + 1 :]
                region = data[: cut + 1]
                self._load(region, region[:-1].split(b"\n"))
                return True

    def _load(self, region: bytes, lines: list[bytes]) -> None:
        self.lines, self.index = lines, 0
        self.last_unterminated = False
        crs = region.count(b"\r")
        self.crlf_only = crs == 0 or crs == region.count(b"\r\n")
        if region.isascii():
            self.utf8, self.replacement_char = True, False
            return
        try:
            region.decode("utf-8")
            self.utf8 = True
        except UnicodeDecodeError:
            self.utf8 = False
        self.replacement_char = _ENCODED_REPLACEMENT in region

    def take(self) -> tuple[bytes, bool] | None:
        """The next line and whether it ended with a line break; None at the end."""
        if self.index >= len(self.lines) and not self.refill():
            return None
        line = self.lines[self.index]
        self.index += 1
        unterminated = self.last_unterminated and self.index == len(self.lines)
        return line, not unterminated


class CsvRows:
    """The rows of one snapshot CSV file.

    Iterating yields ``(line, fields)`` for rows that pass ``keep`` (all well-formed rows when
    it is None); rejected rows go to ``rejected``. Counters are filled as it goes. ``needle``,
    when given, must occur in the raw bytes of every row ``keep`` accepts: rows without it are
    validated and counted but not decoded.
    """

    def __init__(
        self,
        binary: BinaryIO,
        *,
        keep: Callable[[list[str]], bool] | None = None,
        needle: bytes | None = None,
        block_size: int = BLOCK_SIZE,
    ) -> None:
        self._lines = _Lines(binary, block_size)
        self._keep = keep
        self._needle = needle
        self.rows_read = 0
        self.matched = 0
        self.replaced_rows = 0
        self.rejected: list[Rejected] = []
        self._line = 0  # physical lines consumed, as the csv module counts them
        self._at_boundary = True  # the csv module has consumed whole lines of ``_lines``
        self._pending: list[str] = []  # the rest of a line split at a lone \r
        self._replacements_before = _Replacements.count

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        header = self._exact_record()
        if header is None:
            raise HeaderError("the file is empty: no header")
        if isinstance(header, csv.Error):
            raise HeaderError(f"the header line cannot be parsed: {header}")
        check_header(header)
        if not self._at_boundary:
            yield from self._exact_rows()
        source = self._lines
        keep, needle = self._keep, self._needle
        count = bytes.count
        quote, separator = b'"', b'","'
        while True:
            lines, index, stop = source.lines, source.index, len(source.lines)
            # A row counts as replaced when it holds U+FFFD once the file has had a bad byte.
            simple = (
                source.crlf_only
                and source.utf8
                and not (source.replacement_char and self._has_replaced())
            )
            line = self._line
            while index < stop:
                raw = lines[index]
                # The fast path: see the module docstring for why these counts suffice.
                if (
                    simple
                    and count(raw, quote) == _QUOTES
                    and count(raw, separator) == _SEPARATORS
                    and raw[:1] == quote
                    and raw[1:2] != b","
                    and len(raw) <= _LONGEST_FAST_LINE
                ):
                    end = -2 if raw[-1:] == b"\r" else -1
                    if raw[end : len(raw) + end + 1] == quote and raw[end - 1 : end] != b",":
                        index += 1
                        line += 1
                        self.rows_read += 1
                        if needle is not None and needle not in raw:
                            continue
                        row = raw.decode("utf-8")[1:end].split('","')
                        if keep is None or keep(row):
                            self.matched += 1
                            yield line, row
                        continue
                if not simple and self._simple_here(raw):
                    simple_row = self._fast_row(raw, line + 1)
                    index += 1
                    line += 1
                    self.rows_read += 1
                    if simple_row is not None and (keep is None or keep(simple_row)):
                        self.matched += 1
                        yield line, simple_row
                    continue
                break
            source.index = index
            self._line = line
            if index < stop:
                yield from self._exact_rows()
            elif not source.refill():
                return

    def _simple_here(self, raw: bytes) -> bool:
        """The fast-path test for a line of a block with a lone ``\\r`` or invalid UTF-8."""
        body_end = len(raw) - 1 if raw[-1:] == b"\r" else len(raw)
        return (
            b"\r" not in raw[:body_end]
            and raw.count(b'"') == _QUOTES
            and raw.count(b'","') == _SEPARATORS
            and raw[:1] == b'"'
            and raw[1:2] != b","
            and body_end >= 3
            and raw[body_end - 1 : body_end] == b'"'
            and raw[body_end - 2 : body_end - 1] != b","
            and len(raw) <= _LONGEST_FAST_LINE
        )

    def _fast_row(self, raw: bytes, line: int) -> list[str] | None:
        """Fields of a fast-path line of a block that may hold invalid UTF-8 (logged)."""
        text = raw.decode("utf-8", _REPLACE_HANDLER)
        end = -2 if text.endswith("\r") else -1
        row = text[1:end].split('","')
        if "\ufffd" in text and self._has_replaced():
            self._replaced(line, row)
        if self._needle is not None and self._needle not in raw:
            return None
        return row

    def _has_replaced(self) -> bool:
        return _Replacements.count != self._replacements_before

    def _replaced(self, line: int, row: list[str]) -> None:
        self.replaced_rows += 1
        if self.replaced_rows <= _LOGGED_REPLACEMENTS:
            number = row[1].strip() if len(row) > 1 else ""
            log.warning("invalid UTF-8 replaced", extra={"line": line, "company_number": number})

    # -- the csv module, for every line the fast path does not take ------------------------

    def _exact_rows(self) -> Iterator[tuple[int, list[str]]]:
        """Rows read by the csv module until it stops at a line boundary (or the end)."""
        keep = self._keep
        expected = len(COLUMNS)
        while True:
            start = self._line + 1
            record = self._exact_record()
            if record is None:
                return
            if isinstance(record, csv.Error):
                self.rows_read += 1
                self.rejected.append(Rejected(start, f"unparseable row: {record}", None))
            else:
                row = record
                if row:  # a blank line is no row
                    self.rows_read += 1
                    if len(row) != expected:
                        self.rejected.append(
                            Rejected(
                                start,
                                f"{len(row)} fields, expected {expected}",
                                ",".join(row)[:2000],
                            )
                        )
                    else:
                        if self._has_replaced() and any("\ufffd" in f for f in row):
                            self._replaced(start, row)
                        if keep is None or keep(row):
                            self.matched += 1
                            yield start, row
            if self._at_boundary:
                return

    def _exact_record(self) -> list[str] | csv.Error | None:
        """One record from the current line on: its fields, the parser's error, or None at the
        end. The parser reads only the lines of this record (after an error, the rest of the
        line it was in is dropped, as a reader of the whole file would)."""
        reader = csv.reader(self._io_lines(), strict=True)
        try:
            return next(reader)
        except StopIteration:
            return None
        except csv.Error as exc:
            return exc

    def _io_lines(self) -> Iterator[str]:
        """The physical lines the csv module would read, counted as it reads them."""
        pending = self._pending
        take = self._lines.take
        while True:
            if not pending:
                taken = take()
                if taken is None:
                    return
                raw, terminated = taken
                text = raw.decode("utf-8", _REPLACE_HANDLER)
                if terminated:
                    text += "\n"
                # A terminated line may end in \r\n (no lone \r); the file's last line may not.
                if "\r" in (text[:-2] if terminated else text):
                    pending.extend(part for part in _LONE_CR.split(text) if part)
                else:
                    pending.append(text)
            part = pending.pop(0)
            self._line += 1
            self._at_boundary = not pending
            yield part
