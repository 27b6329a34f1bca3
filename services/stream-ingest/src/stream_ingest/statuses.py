"""The bulk file's ``CompanyStatus`` texts mapped to the API's status codes (reference C.5).

The CSV writes a display text; the API a ``company_status`` code plus, for proposals to strike
off, a ``company_status_detail``. Unknown texts are kept (as ``raw_status``) and mapped to
``unknown`` rather than rejected: Companies House adds values without notice.
"""

from __future__ import annotations

from typing import Final, NamedTuple

STRIKE_OFF_TEXT: Final = "Active - Proposal to Strike off"
STRIKE_OFF_DETAIL: Final = "active-proposal-to-strike-off"
UNKNOWN_STATUS: Final = "unknown"


class ApiStatus(NamedTuple):
    """A ``company_status`` code and its optional ``company_status_detail``."""

    status: str
    detail: str | None = None


# Where parsers disagree (reference C.5) the mapping keeps the company's main state: an
# administration or arrangement that also has a receiver is still that administration.
CSV_STATUSES: Final[dict[str, ApiStatus]] = {
    "Active": ApiStatus("active"),
    STRIKE_OFF_TEXT: ApiStatus("active", STRIKE_OFF_DETAIL),
    "Liquidation": ApiStatus("liquidation"),
    "In Administration": ApiStatus("administration"),
    "ADMINISTRATION ORDER": ApiStatus("administration"),
    "In Administration/Administrative Receiver": ApiStatus("administration"),
    "In Administration/Receiver Manager": ApiStatus("administration"),
    "Voluntary Arrangement": ApiStatus("voluntary-arrangement"),
    "VOLUNTARY ARRANGEMENT / ADMINISTRATIVE RECEIVER": ApiStatus("voluntary-arrangement"),
    "VOLUNTARY ARRANGEMENT / RECEIVER MANAGER": ApiStatus("voluntary-arrangement"),
    "ADMINISTRATIVE RECEIVER": ApiStatus("receivership"),
    "RECEIVER MANAGER / ADMINISTRATIVE RECEIVER": ApiStatus("receivership"),
    "RECEIVERSHIP": ApiStatus("receivership"),
    "Live but Receiver Manager on at least one charge": ApiStatus("receivership"),
    # Reported by some parsers in older files (reference C.5).
    "Dissolved": ApiStatus("dissolved"),
    "Receivership": ApiStatus("receivership"),
    "Registered": ApiStatus("registered"),
    "Administration": ApiStatus("administration"),
}


def map_csv_status(text: str) -> ApiStatus:
    """The API status of a (trimmed) CSV ``CompanyStatus``; ``unknown`` when not recognised."""
    return CSV_STATUSES.get(text, ApiStatus(UNKNOWN_STATUS))


def is_strike_off(status: str | None, detail: str | None) -> bool:
    """Whether an API status pair means "active, proposal to strike off"."""
    return status == "active" and detail == STRIKE_OFF_DETAIL
