"""BasicCompanyDataAsOneFile snapshots: exact header, quoting, CRLF, consistency with the
population, malformed-row injection, zip and part files (C.1-C.6)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from leadpipe_simulators.companies_house import (
    HEADER_LINE,
    STRIKE_OFF_STATUS,
    Population,
    pick_malformed_rows,
    write_snapshot,
    write_snapshot_parts,
)

# The reference fixture sits in shared/ beside the repository; C.3's line is the fallback.
FIXTURE = (
    Path(__file__).resolve().parents[4].parent
    / "shared/reference/fixtures/basic_company_data_sample.csv"
)
DOCUMENTED_HEADER = (
    b"CompanyName, CompanyNumber,RegAddress.CareOf,RegAddress.POBox,RegAddress.AddressLine1,"
    b" RegAddress.AddressLine2,RegAddress.PostTown,RegAddress.County,RegAddress.Country,"
    b"RegAddress.PostCode,CompanyCategory,CompanyStatus,CountryOfOrigin,DissolutionDate,"
    b"IncorporationDate,Accounts.AccountRefDay,Accounts.AccountRefMonth,Accounts.NextDueDate,"
    b"Accounts.LastMadeUpDate,Accounts.AccountCategory,Returns.NextDueDate,"
    b"Returns.LastMadeUpDate,Mortgages.NumMortCharges,Mortgages.NumMortOutstanding,"
    b"Mortgages.NumMortPartSatisfied,Mortgages.NumMortSatisfied,SICCode.SicText_1,"
    b"SICCode.SicText_2,SICCode.SicText_3,SICCode.SicText_4,LimitedPartnerships.NumGenPartners,"
    b"LimitedPartnerships.NumLimPartners,URI,PreviousName_1.CONDATE, PreviousName_1.CompanyName,"
    b" PreviousName_2.CONDATE, PreviousName_2.CompanyName,PreviousName_3.CONDATE,"
    b" PreviousName_3.CompanyName,PreviousName_4.CONDATE, PreviousName_4.CompanyName,"
    b"PreviousName_5.CONDATE, PreviousName_5.CompanyName,PreviousName_6.CONDATE,"
    b" PreviousName_6.CompanyName,PreviousName_7.CONDATE, PreviousName_7.CompanyName,"
    b"PreviousName_8.CONDATE, PreviousName_8.CompanyName,PreviousName_9.CONDATE,"
    b" PreviousName_9.CompanyName,PreviousName_10.CONDATE, PreviousName_10.CompanyName,"
    b"ConfStmtNextDueDate, ConfStmtLastMadeUpDate\r\n"
)
FIXTURE_HEADER = (
    FIXTURE.read_bytes().split(b"\n", 1)[0] + b"\n" if FIXTURE.exists() else DOCUMENTED_HEADER
)
AS_OF = date(2026, 11, 1)


def parse(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), strict=True))


def test_header_is_byte_exact_and_has_55_columns(tmp_path: Path) -> None:
    result = write_snapshot(tmp_path / "s.csv", rows=10)
    data = result.path.read_bytes()
    assert data.startswith(FIXTURE_HEADER)
    assert data.startswith(DOCUMENTED_HEADER)
    header = HEADER_LINE.rstrip("\r\n").split(",")
    assert len(header) == 55
    assert sum(1 for name in header if name.startswith(" ")) == 14
    assert header[1] == " CompanyNumber"
    assert header[-1] == " ConfStmtLastMadeUpDate"


def test_rows_are_quoted_crlf_and_match_the_population(tmp_path: Path) -> None:
    rows = 4_000
    result = write_snapshot(tmp_path / "s.csv", rows=rows, seed=3, as_of=AS_OF)
    data = result.path.read_bytes()
    records = parse(data)
    assert len(records) == rows + 1
    assert all(len(r) == 55 for r in records)
    # Every record ends with CRLF; bare LF only ever appears inside a quoted field.
    assert data.count(b"\r\n") == rows + 1
    assert data.endswith(b'"\r\n')
    population = Population(3, rows, as_of=AS_OF)
    for index in (0, 7, 8, 999, rows - 1):
        row = records[index + 1]
        facts = population.base_company(index)
        assert row[0] == facts.name
        assert row[1] == facts.number
        assert row[11] == facts.bulk_status
        assert row[32] == f"http://business.data.gov.uk/id/company/{facts.number}"
    lines = data.split(b"\r\n")[1:-1]
    assert all(line.startswith(b'"') and line.endswith(b'"') for line in lines)
    # Numbers and empty fields are quoted too.
    assert b',"0","0","0","0",' in data
    assert b',"",' in data
    strike_off = sum(1 for r in records[1:] if r[11] == STRIKE_OFF_STATUS)
    assert result.strike_off_count == strike_off
    assert result.rows == rows
    assert result.malformed_lines == ()


def test_values_follow_the_documented_formats(tmp_path: Path) -> None:
    result = write_snapshot(tmp_path / "s.csv", rows=6_000)
    records = parse(result.path.read_bytes())[1:]
    for record in records:
        assert len(record[1]) == 8
        for column in (14, 17, 18, 20, 21, 53, 54):
            value = record[column]
            assert value == "" or (len(value) == 10 and value[2] == "/" and value[5] == "/")
        sic = record[26]
        assert sic == "None Supplied" or " - " in sic
        if record[15]:
            assert record[15] == str(int(record[15]))  # unpadded
    names = [r[0] for r in records]
    assert any('"' in n for n in names)
    assert any("," in n for n in names)
    assert any("&" in n for n in names)
    statuses = {r[11] for r in records}
    assert {"Active", STRIKE_OFF_STATUS, "Liquidation"} <= statuses


def test_embedded_newlines_survive_a_csv_round_trip(tmp_path: Path) -> None:
    population = Population(7, 60_000)
    first = next((i for i in range(60_000) if population.base_company(i).multiline), None)
    assert first is not None, "the population should contain an address with a line break"
    rows = first + 1
    result = write_snapshot(tmp_path / "s.csv", rows=rows, population_size=60_000)
    records = parse(result.path.read_bytes())
    assert len(records) == rows + 1
    assert "\n" in records[-1][4]


def test_malformed_rows_are_injected_and_reported(tmp_path: Path) -> None:
    rows = 3_000
    broken = pick_malformed_rows(rows, 6, seed=5)
    result = write_snapshot(tmp_path / "s.csv", rows=rows, malformed=broken)
    assert [m.row - 1 for m in result.malformed_lines] == sorted(broken)
    physical = result.path.read_bytes().split(b"\n")
    for item in result.malformed_lines:
        line = physical[item.line - 1]
        number = Population(7, rows).number_of(item.row - 1).encode()
        assert number in line
        if item.kind == "invalid_utf8":
            with pytest.raises(UnicodeDecodeError):
                line.decode("utf-8")
        elif item.kind == "field_count":
            fields = next(csv.reader([line.decode()]))
            assert len(fields) in (54, 56)
        else:
            with pytest.raises(csv.Error):
                next(csv.reader([line.decode()], strict=True))
    clean = write_snapshot(tmp_path / "clean.csv", rows=rows)
    bad_strike_off = sum(
        1
        for r in parse(clean.path.read_bytes())[1:]
        if r[11] == STRIKE_OFF_STATUS and Population(7, rows).index_of(r[1]) in broken
    )
    assert result.strike_off_count == clean.strike_off_count - bad_strike_off


def test_zip_holds_one_csv_named_like_the_stem(tmp_path: Path) -> None:
    plain = write_snapshot(tmp_path, rows=2_500, zipped=False, chunk_rows=700)
    zipped = write_snapshot(tmp_path, rows=2_500, zipped=True, chunk_rows=700)
    assert plain.path.name == "BasicCompanyDataAsOneFile-2026-11-01.csv"
    assert zipped.path.name == "BasicCompanyDataAsOneFile-2026-11-01.zip"
    with zipfile.ZipFile(zipped.path) as archive:
        assert archive.namelist() == ["BasicCompanyDataAsOneFile-2026-11-01.csv"]
        assert archive.testzip() is None
        assert archive.read(archive.namelist()[0]) == plain.path.read_bytes()
    assert zipped.strike_off_count == plain.strike_off_count


def test_parts_split_the_same_rows(tmp_path: Path) -> None:
    whole = write_snapshot(tmp_path / "whole.csv", rows=2_000)
    parts = write_snapshot_parts(tmp_path / "parts", rows=2_000, parts=3)
    assert [p.path.name for p in parts] == [
        f"BasicCompanyData-2026-11-01-part{n}_3.zip" for n in (1, 2, 3)
    ]
    body = b""
    for part in parts:
        with zipfile.ZipFile(part.path) as archive:
            (name,) = archive.namelist()
            assert name == part.path.with_suffix(".csv").name
            data = archive.read(name)
        assert data.startswith(HEADER_LINE.encode())
        body += data[len(HEADER_LINE) :]
    assert HEADER_LINE.encode() + body == whole.path.read_bytes()
    assert sum(p.rows for p in parts) == 2_000
    assert sum(p.strike_off_count for p in parts) == whole.strike_off_count
    plain = write_snapshot_parts(tmp_path / "plain", rows=100, parts=2, zipped=False)
    assert plain[1].path.name == "BasicCompanyData-2026-11-01-part2_2.csv"


def test_worker_processes_write_the_same_bytes(tmp_path: Path) -> None:
    broken = pick_malformed_rows(3_000, 3, seed=1)
    inline = write_snapshot(tmp_path / "a.zip", rows=3_000, malformed=broken, workers=1)
    pooled = write_snapshot(
        tmp_path / "b.zip", rows=3_000, malformed=broken, workers=2, chunk_rows=400
    )
    with zipfile.ZipFile(inline.path) as a, zipfile.ZipFile(pooled.path) as b:
        assert a.read("a.csv") == b.read("b.csv")
    assert inline.malformed_lines == pooled.malformed_lines
    assert inline.strike_off_count == pooled.strike_off_count
