"""Strike-off signals carried by filing-history items (SPEC §3.1 (b)).

A First Gazette notice proposes the strike-off (voluntary: GAZ1(A); compulsory: GAZ1, whose
description Companies House sometimes spells ``gazette-notice-compulsary``); DS01/LLDS01 is the
directors' application that precedes a voluntary notice; DISS40, discontinued and suspended
notices end or pause it; GAZ2/GAZ2(A) dissolve the company.
"""

from __future__ import annotations

import enum
from typing import Final, NamedTuple

from leadpipe_contracts.companies import LeftReason, StrikeOffKind


class SignalType(enum.StrEnum):
    """What a filing says about a strike-off."""

    APPLICATION = "application"  # DS01: directors applied; a voluntary notice follows
    PROPOSAL = "proposal"  # First Gazette notice
    ENDED = "ended"  # discontinued, suspended, dissolved


class FilingSignal(NamedTuple):
    """A filing's meaning for strike-off."""

    type: SignalType
    kind: StrikeOffKind = StrikeOffKind.UNKNOWN
    reason: LeftReason | None = None


_SIGNALS: Final[dict[str, FilingSignal]] = {
    "dissolution-application-strike-off-company": FilingSignal(
        SignalType.APPLICATION, StrikeOffKind.VOLUNTARY
    ),
    "dissolution-application-strike-off-limited-liability-partnership": FilingSignal(
        SignalType.APPLICATION, StrikeOffKind.VOLUNTARY
    ),
    "gazette-notice-voluntary": FilingSignal(SignalType.PROPOSAL, StrikeOffKind.VOLUNTARY),
    "gazette-notice-compulsory": FilingSignal(SignalType.PROPOSAL, StrikeOffKind.COMPULSORY),
    "gazette-notice-compulsary": FilingSignal(SignalType.PROPOSAL, StrikeOffKind.COMPULSORY),
    "gazette-filings-brought-up-to-date": FilingSignal(
        SignalType.ENDED, reason=LeftReason.DISCONTINUED
    ),
    "dissolution-voluntary-strike-off-discontinued": FilingSignal(
        SignalType.ENDED, reason=LeftReason.DISCONTINUED
    ),
    "dissolution-voluntary-strike-off-suspended": FilingSignal(
        SignalType.ENDED, reason=LeftReason.SUSPENDED
    ),
    "dissolved-compulsory-strike-off-suspended": FilingSignal(
        SignalType.ENDED, reason=LeftReason.SUSPENDED
    ),
    "gazette-dissolved-voluntary": FilingSignal(SignalType.ENDED, reason=LeftReason.DISSOLVED),
    "gazette-dissolved-compulsary": FilingSignal(SignalType.ENDED, reason=LeftReason.DISSOLVED),
    "gazette-dissolved-compulsory": FilingSignal(SignalType.ENDED, reason=LeftReason.DISSOLVED),
}

# Types identify the notice when a description is missing or unfamiliar.
_BY_TYPE: Final[dict[str, FilingSignal]] = {
    "DS01": _SIGNALS["dissolution-application-strike-off-company"],
    "LLDS01": _SIGNALS["dissolution-application-strike-off-company"],
    "GAZ1(A)": _SIGNALS["gazette-notice-voluntary"],
    "GAZ1": _SIGNALS["gazette-notice-compulsory"],
    "DISS40": _SIGNALS["gazette-filings-brought-up-to-date"],
    "SOAD(A)": _SIGNALS["dissolution-voluntary-strike-off-discontinued"],
    "SOAS(A)": _SIGNALS["dissolution-voluntary-strike-off-suspended"],
    "DISS16(SOAS)": _SIGNALS["dissolved-compulsory-strike-off-suspended"],
    "GAZ2(A)": _SIGNALS["gazette-dissolved-voluntary"],
    "GAZ2": _SIGNALS["gazette-dissolved-compulsary"],
}


def classify(description: str | None, filing_type: str | None) -> FilingSignal | None:
    """The strike-off meaning of a filing, or None when it has none."""
    if description:
        found = _SIGNALS.get(description)
        if found is not None:
            return found
    if filing_type:
        return _BY_TYPE.get(filing_type.upper())
    return None
