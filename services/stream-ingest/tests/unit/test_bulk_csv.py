"""The snapshot CSV reader reads exactly what Python's csv module reads from the whole file.

``CsvRows`` takes most lines by a byte-count fast path and hands every other line to the csv
module; these tests compare it, row for row, line for line, with one strict ``csv.reader`` over
the whole decoded file, on generated files full of the awkward cases.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from stream_ingest.bulk.csvfile import COLUMNS, CsvRows
from stream_ingest.statuses import STRIKE_OFF_TEXT

HEADER = ",".join(COLUMNS).encode()
Keep = Callable[[list[str]], bool]


def whole_file_reading(data: bytes, keep: Keep | None) -> tuple[object, ...]:
    """What one strict csv.reader over the whole file reads: the definition of the rows."""
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace", newline="")
    reader = csv.reader(text, strict=True)
    next(reader)
    end = reader.line_num
    kept: list[tuple[int, list[str]]] = []
    rejected: list[tuple[int, str, str | None]] = []
    rows_read = replaced = 0
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            end = reader.line_num
            rows_read += 1
            rejected.append((start, f"unparseable row: {exc}", None))
            continue
        end = reader.line_num
        if not row:
            continue
        rows_read += 1
        if len(row) != len(COLUMNS):
            reason = f"{len(row)} fields, expected {len(COLUMNS)}"
            rejected.append((start, reason, ",".join(row)[:2000]))
            continue
        replaced += any("\ufffd" in field for field in row)
        if keep is None or keep(row):
            kept.append((start, row))
    return kept, rejected, rows_read, replaced


def fast_reading(
    data: bytes, keep: Keep | None, needle: bytes | None, block: int
) -> tuple[object, ...]:
    rows = CsvRows(io.BytesIO(data), keep=keep, needle=needle, block_size=block)
    kept = list(rows)
    rejected = [tuple(r) for r in rows.rejected]
    return kept, rejected, rows.rows_read, rows.replaced_rows


def strike_off(row: list[str]) -> bool:
    return row[11].strip() == STRIKE_OFF_TEXT


# Field text: mostly plain, sometimes the characters that matter to CSV, the status text, or
# bytes that are not UTF-8 (spliced in after encoding, marked by "\x01").
_piece = st.sampled_from(
    ["ACME", " ", ",", '"', "\r\n", "\n", "\r", "é", "\x01", STRIKE_OFF_TEXT, "Active", ""]
)
_value = st.lists(_piece, max_size=3).map("".join)


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["good", "good", "good", "count", "stray", "raw", "blank"]))
    count = len(COLUMNS) + (draw(st.sampled_from([-1, 1])) if kind == "count" else 0)
    values = [draw(_value) if draw(st.booleans()) else "" for _ in range(count)]
    if draw(st.booleans()):
        values[11] = draw(st.sampled_from([STRIKE_OFF_TEXT, f" {STRIKE_OFF_TEXT} ", "Active"]))
    if kind == "raw":
        text = draw(_value)
    elif kind == "blank":
        text = ""
    else:
        quoted = ['"' + v.replace('"', '""') + '"' for v in values]
        if kind == "stray":
            at = draw(st.integers(0, count - 1))
            quoted[at] = '"' + values[at].replace('"', "") + '" X"'
        if draw(st.integers(0, 9)) == 0:  # now and then an unquoted field
            at = draw(st.integers(0, count - 1))
            quoted[at] = values[at].replace('"', "").replace("\n", "").replace("\r", "")
        text = ",".join(quoted)
    ending = draw(st.sampled_from(["\r\n", "\r\n", "\n", "\r", ""]))
    return (text + ending).encode().replace(b"\x01", b"\xff\xfe")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# A lone \r in the file's last line, which has no line break of its own.
@example(body=[b"\r", b" "], header_end=b"\r\n", block=1 << 20, filtered=False)
@given(
    body=st.lists(lines(), max_size=12),
    header_end=st.sampled_from([b"\r\n", b"\n"]),
    block=st.sampled_from([1, 7, 64, 1 << 20]),
    filtered=st.booleans(),
)
def test_rows_lines_and_rejections_are_those_of_the_csv_module_reading_the_whole_file(
    body: list[bytes], header_end: bytes, block: int, filtered: bool
) -> None:
    data = HEADER + header_end + b"".join(body)
    keep = strike_off if filtered else None
    needle = STRIKE_OFF_TEXT.encode() if filtered else None

    assert fast_reading(data, keep, needle, block) == whole_file_reading(data, keep)


def _line(number: str, status: str, name: str = "ACME LTD") -> bytes:
    fields = [name, number] + [""] * 9 + [status] + [""] * 43
    return (",".join('"' + f.replace('"', '""') + '"' for f in fields) + "\r\n").encode()


def test_a_file_of_clean_lines_is_read_by_the_fast_path_with_the_right_lines() -> None:
    data = (
        HEADER
        + b"\r\n"
        + b"".join(
            _line(f"{n:08d}", STRIKE_OFF_TEXT if n % 3 == 0 else "Active") for n in range(1, 301)
        )
    )
    rows = CsvRows(
        io.BytesIO(data), keep=strike_off, needle=STRIKE_OFF_TEXT.encode(), block_size=999
    )

    kept = list(rows)

    assert [(line, row[1]) for line, row in kept] == [(n + 1, f"{n:08d}") for n in range(3, 301, 3)]
    assert (rows.rows_read, rows.matched, rows.rejected) == (300, 100, [])
    assert kept == whole_file_reading(data, strike_off)[0]


def test_a_stray_quote_after_a_comma_is_rejected_although_the_line_has_55_fields() -> None:
    broken = _line("00000002", STRIKE_OFF_TEXT).replace(b'"00000002"', b'"000","0002')
    data = HEADER + b"\r\n" + _line("00000001", STRIKE_OFF_TEXT) + broken

    rows = CsvRows(io.BytesIO(data), keep=strike_off, needle=STRIKE_OFF_TEXT.encode())
    kept = list(rows)

    assert [line for line, _ in kept] == [2]
    assert [r.line for r in rows.rejected] == [3]
    assert fast_reading(data, strike_off, None, 1 << 20) == whole_file_reading(data, strike_off)
