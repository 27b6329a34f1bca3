"""Company and person names as Snov.io is asked about them.

``normalise_company_name`` is the key of the paid-result cache: "ACME LTD", "Acme Limited" and
"The Acme (UK) Ltd." are one question, asked and paid for once.
"""

from __future__ import annotations

import re
import unicodedata

# UK register legal forms (English and Welsh), stripped from the end of a name, longest first so a
# multi-word form goes whole. "UK" goes too: "X (UK) LTD" trades as "X".
_LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(form.split())
            for form in (
                "LIMITED",
                "LTD",
                "PLC",
                "PUBLIC LIMITED COMPANY",
                "CYFYNGEDIG",
                "CYF",
                "CCC",
                "CWMNI CYFYNGEDIG CYHOEDDUS",
                "LLP",
                "LIMITED LIABILITY PARTNERSHIP",
                "PARTNERIAETH ATEBOLRWYDD CYFYNGEDIG",
                "PAC",
                "LP",
                "LIMITED PARTNERSHIP",
                "CIC",
                "COMMUNITY INTEREST COMPANY",
                "CWMNI BUDDIANT CYMUNEDOL",
                "CBC",
                "UNLIMITED",
                "ANGHYFYNGEDIG",
                "UK",
            )
        ),
        key=len,
        reverse=True,
    )
)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def normalise_company_name(name: str) -> str:
    """Upper-case words without punctuation, trailing legal forms or a leading THE.

    A name that is nothing but a legal form keeps its last word, so it never becomes empty.
    """
    words = re.sub(r"[^A-Z0-9]+", " ", _ascii(name).upper().replace("&", " AND ")).split()
    stripped = True
    while stripped and len(words) > 1:
        stripped = False
        for form in _LEGAL_FORMS:
            if len(words) > len(form) and tuple(words[-len(form) :]) == form:
                del words[-len(form) :]
                stripped = True
                break
    if len(words) > 1 and words[0] == "THE":
        words = words[1:]
    return " ".join(words)


def person_key(first_name: str, last_name: str, domain: str) -> str:
    """The cache key of an e-mail search: one person at one domain."""
    return "|".join(part.strip().lower() for part in (first_name, last_name, domain))


def split_officer_name(
    name: str, forenames: str | None, surname: str | None
) -> tuple[str, str] | None:
    """First and last name of an individual officer, or None when either is unknown.

    Companies House lists ``SURNAME, Forenames, Title``; parsed parts win when given.
    """
    if not (forenames and surname):
        head, comma, tail = name.partition(",")
        if not comma:
            return None
        surname = surname or head
        forenames = forenames or tail.split(",")[0]
    first = forenames.strip().split()[0] if forenames.strip() else ""
    last = surname.strip()
    if not first or not last:
        return None
    return _title(first), _title(last)


def _title(word: str) -> str:
    # Register names are upper-case; keep mixed case as given (McDonald, de Souza).
    return word.title() if word.isupper() or word.islower() else word


def domain_confidence(normalised_name: str, domain: str) -> float:
    """How plausibly ``domain`` belongs to the company (Snov.io gives no confidence).

    1.0 when the domain's first label is the name's letters and digits, less as they diverge
    (ratio of matching characters), never below 0.3 since Snov.io did match the name.
    """
    from difflib import SequenceMatcher

    stem = re.sub(r"[^a-z0-9]", "", normalised_name.lower())
    label = re.sub(r"[^a-z0-9]", "", domain.lower().split(".")[0])
    if not stem or not label:
        return 0.3
    return round(max(0.3, SequenceMatcher(None, stem, label).ratio()), 2)
