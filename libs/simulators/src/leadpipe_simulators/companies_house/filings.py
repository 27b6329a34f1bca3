"""Filing-history items as carried by the ``/filings`` stream (resource_kind
``filing-history``), including every strike-off signal the product listens for (SPEC 3.1)."""

from __future__ import annotations

import base64
from datetime import date
from typing import Any, Final, NamedTuple

from .dates import iso


class FilingType(NamedTuple):
    type: str
    category: str
    description: str


DS01: Final = FilingType("DS01", "dissolution", "dissolution-application-strike-off-company")
LLDS01: Final = FilingType(
    "LLDS01", "dissolution", "dissolution-application-strike-off-limited-liability-partnership"
)
DS02: Final = FilingType(
    "DS02", "dissolution", "dissolution-withdrawal-application-strike-off-company"
)
GAZ1A: Final = FilingType("GAZ1(A)", "gazette", "gazette-notice-voluntary")
GAZ1: Final = FilingType("GAZ1", "gazette", "gazette-notice-compulsory")
GAZ1_MISSPELT: Final = FilingType("GAZ1", "gazette", "gazette-notice-compulsary")
DISS40: Final = FilingType("DISS40", "gazette", "gazette-filings-brought-up-to-date")
SOADA: Final = FilingType("SOAD(A)", "dissolution", "dissolution-voluntary-strike-off-discontinued")
SOASA: Final = FilingType("SOAS(A)", "dissolution", "dissolution-voluntary-strike-off-suspended")
DISS16_SOAS: Final = FilingType(
    "DISS16(SOAS)", "dissolution", "dissolved-compulsory-strike-off-suspended"
)
GAZ2A: Final = FilingType("GAZ2(A)", "gazette", "gazette-dissolved-voluntary")
GAZ2: Final = FilingType("GAZ2", "gazette", "gazette-dissolved-compulsary")
CS01: Final = FilingType("CS01", "confirmation-statement", "confirmation-statement-with-no-updates")
AD01: Final = FilingType(
    "AD01",
    "address",
    "change-registered-office-address-company-with-date-old-address-new-address",
)
AP01: Final = FilingType("AP01", "officers", "appoint-person-director-company-with-name-date")
TM01: Final = FilingType(
    "TM01", "officers", "termination-director-company-with-name-termination-date"
)
PSC04: Final = FilingType(
    "PSC04",
    "persons-with-significant-control",
    "change-to-a-person-with-significant-control",
)
SH01: Final = FilingType("SH01", "capital", "capital-allotment-shares")


def accounts_filing(account_type: str | None) -> FilingType:
    kind = account_type or "micro-entity"
    return FilingType("AA", "accounts", f"accounts-with-accounts-type-{kind}")


def transaction_id(serial: int) -> str:
    """An id in CH's style: base64 of a 10-digit serial and a fixed tag."""
    return base64.b64encode(f"{serial:010d}adiqzkcx".encode()).decode()


def filing_item(
    number: str,
    serial: int,
    filing: FilingType,
    filed_on: date,
    description_values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One filing-history item (same shape as ``/company/{n}/filing-history`` items)."""
    tid = transaction_id(serial)
    item: dict[str, Any] = {
        "barcode": f"X{base64.b32encode(serial.to_bytes(5, 'big')).decode()[:7]}",
        "category": filing.category,
        "date": iso(filed_on),
        "description": filing.description,
        "links": {
            "document_metadata": (
                "https://document-api.company-information.service.gov.uk/document/"
                + base64.urlsafe_b64encode(f"{number}{serial}".encode()).decode().rstrip("=")
            ),
            "self": f"/company/{number}/filing-history/{tid}",
        },
        "pages": 1,
        "transaction_id": tid,
        "type": filing.type,
    }
    if description_values:
        item["description_values"] = description_values
    return item
