"""Company name normalisation and the domain a simulated company owns.

The simulated domain derives from the normalised name, so "ACME LTD", "Acme Limited" and
"ACME (UK) LTD" all resolve to the same company and the same domain, the way a client's own
name-normalising cache expects.
"""

from __future__ import annotations

import re
import unicodedata

from leadpipe_simulators._common.determinism import stable_choice

# Legal-form suffixes of UK register names (English and Welsh forms), longest first so multi-word
# forms are stripped whole. "UK" is stripped too because "X (UK) LTD" usually trades as "X".
_SUFFIXES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(s.split())
            for s in (
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

_TLDS = (".co.uk",) * 12 + (".com",) * 5 + (".uk",) * 2 + (".org.uk",)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def normalise_company_name(name: str) -> str:
    """Upper-case words of the name without punctuation, legal-form suffixes or a leading THE."""
    words = re.sub(r"[^A-Z0-9]+", " ", _ascii(name).upper().replace("&", " ")).split()
    stripped = True
    while stripped and len(words) > 1:
        stripped = False
        for suffix in _SUFFIXES:
            if len(words) > len(suffix) and tuple(words[-len(suffix) :]) == suffix:
                del words[-len(suffix) :]
                stripped = True
                break
    if len(words) > 1 and words[0] == "THE":
        words = words[1:]
    return " ".join(words)


def domain_for_company(seed: int, normalised_name: str) -> str | None:
    """The domain a company with this normalised name owns, or None if the name has no letters."""
    stem = re.sub(r"[^a-z0-9]", "", normalised_name.lower())[:40]
    if not stem:
        return None
    return stem + stable_choice(seed, _TLDS, "tld", normalised_name)
