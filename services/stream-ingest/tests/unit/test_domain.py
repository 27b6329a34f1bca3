"""Pure logic of stream-ingest: statuses, filings, published_at, CSV rows, the transition law."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadpipe_contracts.companies import LeftReason, Source, StrikeOffKind
from stream_ingest.bulk.csvfile import COLUMNS, CsvRows, HeaderError, check_header
from stream_ingest.envelope import parse_published_at
from stream_ingest.filings import SignalType, classify
from stream_ingest.statuses import CSV_STATUSES, STRIKE_OFF_TEXT, is_strike_off, map_csv_status
from stream_ingest.transitions import CompanyState, Observation, end_strike_off, observe

FOURTEEN = (
    "Active",
    "Active - Proposal to Strike off",
    "Liquidation",
    "In Administration",
    "ADMINISTRATION ORDER",
    "In Administration/Administrative Receiver",
    "In Administration/Receiver Manager",
    "Voluntary Arrangement",
    "VOLUNTARY ARRANGEMENT / ADMINISTRATIVE RECEIVER",
    "VOLUNTARY ARRANGEMENT / RECEIVER MANAGER",
    "ADMINISTRATIVE RECEIVER",
    "RECEIVER MANAGER / ADMINISTRATIVE RECEIVER",
    "RECEIVERSHIP",
    "Live but Receiver Manager on at least one charge",
)
T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize("text", FOURTEEN)
def test_every_company_status_of_the_bulk_file_maps_to_an_api_status(text: str) -> None:
    mapped = map_csv_status(text)
    assert mapped.status != "unknown"
    assert is_strike_off(mapped.status, mapped.detail) == (text == STRIKE_OFF_TEXT)
    assert text in CSV_STATUSES


def test_an_unknown_company_status_is_kept_as_unknown_not_rejected() -> None:
    assert map_csv_status("Something New").status == "unknown"
    assert map_csv_status("Active - Proposal to Strike Off").status == "unknown"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-01-22T18:28:02", dt.datetime(2021, 1, 22, 18, 28, 2, tzinfo=dt.UTC)),
        ("2022-11-15T18:59:02.333257Z", dt.datetime(2022, 11, 15, 18, 59, 2, 333257, dt.UTC)),
        ("2022-08-04T00:02:01.812779+01:00", dt.datetime(2022, 8, 3, 23, 2, 1, 812779, dt.UTC)),
        ("2022-08-04 00:02:01.8+01:00", dt.datetime(2022, 8, 3, 23, 2, 1, 800000, dt.UTC)),
        ("2022-08-04T00:02:01.123456789Z", dt.datetime(2022, 8, 4, 0, 2, 1, 123456, dt.UTC)),
    ],
)
def test_published_at_is_parsed_in_every_observed_format(text: str, expected: dt.datetime) -> None:
    assert parse_published_at(text) == expected


def test_unreadable_published_at_gives_none() -> None:
    assert parse_published_at("yesterday") is None
    assert parse_published_at(None) is None


@pytest.mark.parametrize(
    ("description", "kind", "signal"),
    [
        ("gazette-notice-voluntary", StrikeOffKind.VOLUNTARY, SignalType.PROPOSAL),
        ("gazette-notice-compulsory", StrikeOffKind.COMPULSORY, SignalType.PROPOSAL),
        ("gazette-notice-compulsary", StrikeOffKind.COMPULSORY, SignalType.PROPOSAL),
        (
            "dissolution-application-strike-off-company",
            StrikeOffKind.VOLUNTARY,
            SignalType.APPLICATION,
        ),
    ],
)
def test_first_gazette_notices_and_applications_name_the_kind(
    description: str, kind: StrikeOffKind, signal: SignalType
) -> None:
    found = classify(description, None)
    assert found is not None
    assert (found.kind, found.type) == (kind, signal)


@pytest.mark.parametrize(
    ("description", "reason"),
    [
        ("gazette-filings-brought-up-to-date", LeftReason.DISCONTINUED),
        ("dissolution-voluntary-strike-off-discontinued", LeftReason.DISCONTINUED),
        ("dissolution-voluntary-strike-off-suspended", LeftReason.SUSPENDED),
        ("dissolved-compulsory-strike-off-suspended", LeftReason.SUSPENDED),
        ("gazette-dissolved-voluntary", LeftReason.DISSOLVED),
        ("gazette-dissolved-compulsary", LeftReason.DISSOLVED),
    ],
)
def test_exit_filings_end_the_strike_off_with_their_reason(
    description: str, reason: LeftReason
) -> None:
    found = classify(description, None)
    assert found is not None
    assert (found.type, found.reason) == (SignalType.ENDED, reason)


def test_unrelated_filings_are_no_signal() -> None:
    assert classify("confirmation-statement-with-no-updates", "CS01") is None


def test_a_wrong_header_fails_naming_the_column() -> None:
    names = list(COLUMNS)
    names[11] = "CompanyStatu"
    with pytest.raises(
        HeaderError, match="column 12 should be 'CompanyStatus' but is 'CompanyStatu'"
    ):
        check_header(names)
    with pytest.raises(HeaderError, match="column 55 should be 'ConfStmtLastMadeUpDate'"):
        check_header(list(COLUMNS[:54]))


def test_header_names_are_compared_stripped_as_companies_house_writes_them() -> None:
    check_header([" " + name if i % 3 == 1 else name for i, name in enumerate(COLUMNS)])


def _row(number: str, status: str, name: str = "ACME LTD") -> str:
    fields = [name, number] + [""] * 9 + [status] + [""] * 43
    return ",".join('"' + f.replace('"', '""') + '"' for f in fields) + "\r\n"


def test_rows_are_parsed_with_quotes_newlines_and_bad_rows_reported_with_their_line() -> None:
    header = ",".join(COLUMNS) + "\r\n"
    text = (
        header
        + _row("00000001", STRIKE_OFF_TEXT, 'THE "QUOTED", LTD')
        + _row("00000002", "Active", "TWO\nLINES LTD")
        + '"BROKEN "QUOTE" LTD","00000003"\r\n'
        + _row("00000004", " " + STRIKE_OFF_TEXT + " ")
        + '"SHORT","00000005"\r\n'
    )
    rows = CsvRows(io.BytesIO(text.encode()), keep=lambda r: r[11].strip() == STRIKE_OFF_TEXT)
    kept = list(rows)
    assert [(line, row[1]) for line, row in kept] == [(2, "00000001"), (6, "00000004")]
    assert kept[0][1][0] == 'THE "QUOTED", LTD'
    assert [r.line for r in rows.rejected] == [5, 7]
    assert rows.rows_read == 5


def test_invalid_utf8_is_replaced_and_counted_not_rejected() -> None:
    data = (",".join(COLUMNS) + "\r\n").encode() + _row("00000009", "Active").encode().replace(
        b"ACME", b"AC\xff\xfeME"
    )
    rows = CsvRows(io.BytesIO(data))
    kept = list(rows)
    assert kept[0][1][0] == "AC\ufffd\ufffdME LTD"
    assert (rows.replaced_rows, rows.rejected) == (1, [])


def _state(strike_off: bool, at: dt.datetime, etag: str | None = "e0") -> CompanyState:
    return CompanyState(
        company_number="00000001",
        company_name="ACME",
        status="active",
        status_detail="active-proposal-to-strike-off" if strike_off else None,
        raw_status="active",
        strike_off=strike_off,
        strike_off_kind="compulsory" if strike_off else None,
        observed_at=at,
        source="stream",
        source_ref="companies:1",
        etag=etag,
    )


def _observation(
    at: dt.datetime,
    detail: str | None,
    known: bool,
    etag: str | None = "e1",
    status: str = "active",
) -> Observation:
    return Observation(
        company_number="00000001",
        company_name="ACME",
        status=status,
        status_detail=detail,
        raw_status=status,
        observed_at=at,
        source=Source.BULK,
        source_ref="snapshot",
        detail_known=known,
        etag=etag,
    )


@given(
    was=st.booleans(),
    detail=st.sampled_from([None, "active-proposal-to-strike-off"]),
    known=st.booleans(),
    status=st.sampled_from(["active", "dissolved", "liquidation"]),
    shift=st.integers(min_value=-10 * 86_400, max_value=10 * 86_400),
)
def test_transitions_happen_only_on_a_real_change_and_never_from_an_older_observation(
    was: bool, detail: str | None, known: bool, status: str, shift: int
) -> None:
    current = _state(was, T0)
    at = T0 + dt.timedelta(seconds=shift)
    outcome = observe(current, _observation(at, detail, known, status=status))
    if shift < -1:
        assert outcome.stale
        assert not outcome.entered
        assert outcome.left is None
        return
    assert outcome.state is not None
    now = outcome.state.strike_off
    assert outcome.entered == (now and not was)
    assert (outcome.left is not None) == (was and not now)
    if status != "active":
        assert not now
    if detail is None and not known and status == "active":
        assert now == was
    assert outcome.state.observed_at >= current.observed_at


def test_the_same_profile_version_again_changes_nothing() -> None:
    current = _state(False, T0, etag="e1")
    outcome = observe(current, _observation(T0, "active-proposal-to-strike-off", True, etag="e1"))
    assert outcome.state is not None
    assert not outcome.entered
    assert not outcome.changed


def test_an_exit_filing_ends_the_strike_off_once_and_an_older_profile_cannot_restart_it() -> None:
    current = _state(True, T0)
    ended = end_strike_off(current, LeftReason.DISCONTINUED, T0 + dt.timedelta(hours=1), "f:1")
    assert ended.left is LeftReason.DISCONTINUED
    assert ended.state is not None
    assert end_strike_off(ended.state, LeftReason.DISCONTINUED, T0, "f:2").stale
    late = observe(
        ended.state,
        _observation(T0 + dt.timedelta(minutes=30), "active-proposal-to-strike-off", True),
    )
    assert late.state is not None
    assert not late.entered
