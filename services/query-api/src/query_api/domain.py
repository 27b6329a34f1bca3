"""Pure logic of the read model and the API: regions, SIC sections, names, search and cursors.

Nothing here touches a server; every function is unit-tested on its own.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import unicodedata

_REGIONS: dict[str, tuple[str, ...]] = {
    "London": (
        "E", "EC", "N", "NW", "SE", "SW", "W", "WC", "BR", "CR", "DA", "EN", "HA", "IG", "KT",
        "RM", "SM", "TW", "UB",
    ),
    "South East": (
        "BN", "CT", "GU", "HP", "ME", "MK", "OX", "PO", "RG", "RH", "SL", "SO", "TN",
    ),
    "East of England": ("AL", "CB", "CM", "CO", "IP", "LU", "NR", "PE", "SG", "SS", "WD"),
    "South West": ("BA", "BH", "BS", "DT", "EX", "GL", "PL", "SN", "SP", "TA", "TQ", "TR"),
    "West Midlands": ("B", "CV", "DY", "HR", "ST", "SY", "TF", "WR", "WS", "WV"),
    "East Midlands": ("DE", "LE", "LN", "NG", "NN"),
    "Yorkshire and The Humber": ("BD", "DN", "HD", "HG", "HU", "HX", "LS", "S", "WF", "YO"),
    "North West": (
        "BB", "BL", "CA", "CH", "CW", "FY", "L", "LA", "M", "OL", "PR", "SK", "WA", "WN",
    ),
    "North East": ("DH", "DL", "NE", "SR", "TS"),
    "Wales": ("CF", "LD", "LL", "NP", "SA"),
    "Scotland": (
        "AB", "DD", "DG", "EH", "FK", "G", "HS", "IV", "KA", "KW", "KY", "ML", "PA", "PH", "TD",
        "ZE",
    ),
    "Northern Ireland": ("BT",),
    "Crown Dependencies": ("GY", "JE", "IM"),
}  # fmt: skip
REGION_OF_AREA: dict[str, str] = {
    area: region for region, areas in _REGIONS.items() for area in areas
}
REGIONS: tuple[str, ...] = tuple(_REGIONS)

# SIC 2007 sections by two-digit division (inclusive ranges).
_SECTIONS: tuple[tuple[str, int, int, str], ...] = (
    ("A", 1, 3, "Agriculture, forestry and fishing"),
    ("B", 5, 9, "Mining and quarrying"),
    ("C", 10, 33, "Manufacturing"),
    ("D", 35, 35, "Electricity, gas, steam and air conditioning"),
    ("E", 36, 39, "Water supply, sewerage and waste"),
    ("F", 41, 43, "Construction"),
    ("G", 45, 47, "Wholesale and retail trade"),
    ("H", 49, 53, "Transportation and storage"),
    ("I", 55, 56, "Accommodation and food services"),
    ("J", 58, 63, "Information and communication"),
    ("K", 64, 66, "Financial and insurance"),
    ("L", 68, 68, "Real estate"),
    ("M", 69, 75, "Professional, scientific and technical"),
    ("N", 77, 82, "Administrative and support services"),
    ("O", 84, 84, "Public administration and defence"),
    ("P", 85, 85, "Education"),
    ("Q", 86, 88, "Human health and social work"),
    ("R", 90, 93, "Arts, entertainment and recreation"),
    ("S", 94, 96, "Other service activities"),
    ("T", 97, 98, "Households as employers"),
    ("U", 99, 99, "Extraterritorial organisations and dormant companies"),
)
SECTION_NAMES: dict[str, str] = {letter: name for letter, _, _, name in _SECTIONS}

_POSTCODE_AREA = re.compile(r"^\s*([A-Za-z]{1,2})\d")
_WORD = re.compile(r"\w+", re.UNICODE)
_TITLES = {"mr", "mrs", "ms", "miss", "dr", "sir", "dame", "lord", "lady", "prof", "rev"}


def postcode_area(postcode: str | None) -> str | None:
    """The postcode area (``SW`` of ``SW1A 1AA``), or None for a missing or foreign postcode."""
    if not postcode:
        return None
    match = _POSTCODE_AREA.match(postcode)
    return match.group(1).upper() if match else None


def region_of(postcode: str | None) -> str | None:
    """The UK region of a postcode, from its area."""
    area = postcode_area(postcode)
    return REGION_OF_AREA.get(area) if area else None


def sic_section(code: str) -> str | None:
    """The SIC 2007 section letter of a five-digit code, or None when it is not one."""
    if len(code) < 2 or not code[:2].isdigit():
        return None
    division = int(code[:2])
    for letter, low, high, _ in _SECTIONS:
        if low <= division <= high:
            return letter
    return None


def sic_sections(codes: tuple[str, ...] | list[str]) -> list[str]:
    """The distinct sections of some SIC codes, sorted."""
    return sorted({section for code in codes if (section := sic_section(code))})


def name_key(name: str | None) -> str | None:
    """A person's name reduced for matching: case, accents, punctuation, titles and order gone.

    ``SMITH, John Peter`` and ``John Peter Smith`` have the same key.
    """
    if not name:
        return None
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = sorted({word for word in _WORD.findall(folded) if word not in _TITLES})
    return " ".join(words) or None


def search_query(text: str) -> str | None:
    """A Postgres ``to_tsquery('simple', …)`` text: every word of ``text`` as a prefix, ANDed.

    Only word characters survive, so the result is always a valid query (it is still passed as a
    parameter, never interpolated).
    """
    words = [word.lower() for word in _WORD.findall(text)][:8]
    return " & ".join(f"{word}:*" for word in words) or None


class CursorError(ValueError):
    """A pagination cursor that was not issued by this API (or was tampered with)."""


def encode_cursor(sort: str, values: list[object]) -> str:
    """An opaque keyset cursor: the sort it belongs to and the last row's key values."""
    raw = json.dumps([sort, [_plain(value) for value in values]], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, kinds: tuple[str, ...]) -> list[object]:
    """The key values of a cursor, checked against the sort and value kinds expected.

    Args:
        cursor: As returned in ``next_cursor``.
        sort: The sort of the current request; a cursor of another sort is refused.
        kinds: Per key value: ``text``, ``date`` or ``float``.

    Raises:
        CursorError: Malformed, or for another sort.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise CursorError("cursor is not valid") from exc
    if not (isinstance(decoded, list) and len(decoded) == 2 and decoded[0] == sort):
        raise CursorError("cursor belongs to another sort order")
    values = decoded[1]
    if not isinstance(values, list) or len(values) != len(kinds):
        raise CursorError("cursor is not valid")
    return [_parse(value, kind) for value, kind in zip(values, kinds, strict=True)]


def _plain(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _parse(value: object, kind: str) -> object:
    try:
        if kind == "date" and isinstance(value, str):
            return dt.date.fromisoformat(value)
        if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if kind == "text" and isinstance(value, str) and "\x00" not in value:
            return value
    except ValueError as exc:
        raise CursorError("cursor is not valid") from exc
    raise CursorError("cursor is not valid")
