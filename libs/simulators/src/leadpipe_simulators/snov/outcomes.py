"""What the simulated Snov.io finds: a domain per company name and e-mails per person and domain.

Outcomes are stable functions of the seed and the normalised inputs (see ``_common.determinism``),
so the same question always gets the same answer; tests can pin specific answers with
:meth:`OutcomeBook.set_domain` and :meth:`OutcomeBook.set_emails`.

Default mix, chosen to resemble real UK small-company data:

- company → domain: ``no_domain_rate`` (27 %) of normalised names have no domain; the others own
  ``<name without legal suffix>`` under .co.uk (60 %), .com (25 %), .uk (10 %) or .org.uk (5 %).
- person + domain → e-mails: 12 % of domains are catch-all, where 85 % of people get an ``unknown``
  / ``catchall`` address (a third of them two candidate patterns) and the rest nothing; elsewhere
  76 % get one ``valid`` address, 10 % one ``unknown`` address (banned, connection_error or
  greylist) and 14 % nothing. Each domain has one address pattern (first.last, flast, ...).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from leadpipe_simulators._common.determinism import stable_choice, stable_fraction
from leadpipe_simulators.snov.config import NoDomainShape
from leadpipe_simulators.snov.names import domain_for_company, normalise_company_name

SmtpStatus = Literal["valid", "unknown"]
UNKNOWN_REASONS = ("banned", "catchall", "connection_error", "greylist")

_WEBMAIL = frozenset(
    {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "yahoo.com",
     "yahoo.co.uk", "icloud.com", "aol.com", "btinternet.com", "live.co.uk", "protonmail.com"}
)  # fmt: skip
_DISPOSABLE = frozenset({"mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com"})

_CATCHALL_DOMAIN_RATE = 0.12
_PATTERNS = ("{f}.{l}", "{f}.{l}", "{fi}{l}", "{f}", "{f}{l}", "{fi}.{l}", "{f}_{l}")


@dataclass(frozen=True)
class DomainOutcome:
    """A company name's domain, or None with the shape its no-domain entry takes."""

    domain: str | None
    missing_shape: NoDomainShape


@dataclass(frozen=True)
class EmailCandidate:
    """One e-mail in an emails-by-domain-by-name result."""

    email: str
    smtp_status: SmtpStatus = "valid"
    unknown_status_reason: str | None = None
    is_valid_format: bool = True
    is_disposable: bool = False
    is_webmail: bool = False
    is_gibberish: bool = False

    def __post_init__(self) -> None:
        if self.smtp_status == "unknown" and self.unknown_status_reason not in UNKNOWN_REASONS:
            raise ValueError(f"an unknown e-mail needs a reason among {UNKNOWN_REASONS}")
        if self.smtp_status == "valid" and self.unknown_status_reason is not None:
            raise ValueError("a valid e-mail has no unknown_status_reason")

    def to_wire(self) -> dict[str, object]:
        """The result[] item as Snov.io sends it (the reason only when the status is unknown)."""
        item: dict[str, object] = {
            "email": self.email,
            "smtp_status": self.smtp_status,
            "is_valid_format": self.is_valid_format,
            "is_disposable": self.is_disposable,
            "is_webmail": self.is_webmail,
            "is_gibberish": self.is_gibberish,
        }
        if self.smtp_status == "unknown":
            item["unknown_status_reason"] = self.unknown_status_reason
        return item


def _letters(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z]", "", ascii_text.lower())


def person_key(first_name: str, last_name: str, domain: str) -> tuple[str, str, str]:
    """How a person at a domain is identified for outcomes and overrides."""
    return (first_name.strip().lower(), last_name.strip().lower(), domain.strip().lower())


class OutcomeBook:
    """Seeded outcomes plus the overrides a test set."""

    def __init__(
        self, seed: int, no_domain_rate: float, no_domain_shapes: tuple[NoDomainShape, ...]
    ) -> None:
        if not no_domain_shapes:
            raise ValueError("at least one no-domain shape is needed")
        self.seed = seed
        self.no_domain_rate = no_domain_rate
        self.no_domain_shapes = no_domain_shapes
        self._domains: dict[str, DomainOutcome] = {}
        self._emails: dict[tuple[str, str, str], tuple[EmailCandidate, ...]] = {}

    def domain_for(self, name: str) -> DomainOutcome:
        """The outcome of looking ``name`` up."""
        key = normalise_company_name(name)
        if key in self._domains:
            return self._domains[key]
        shape = stable_choice(self.seed, self.no_domain_shapes, "no-domain-shape", key)
        if stable_fraction(self.seed, "has-domain", key) < self.no_domain_rate:
            return DomainOutcome(None, shape)
        return DomainOutcome(domain_for_company(self.seed, key), shape)

    def set_domain(self, name: str, domain: str | None, shape: NoDomainShape | None = None) -> None:
        """Force the domain of ``name`` (and every name normalising like it); None = not found."""
        key = normalise_company_name(name)
        chosen = shape or stable_choice(self.seed, self.no_domain_shapes, "no-domain-shape", key)
        self._domains[key] = DomainOutcome(domain, chosen)

    def emails_for(
        self, first_name: str, last_name: str, domain: str
    ) -> tuple[EmailCandidate, ...]:
        """The e-mails found for a person at a domain (possibly none)."""
        key = person_key(first_name, last_name, domain)
        if key in self._emails:
            return self._emails[key]
        first, last, dom = _letters(first_name), _letters(last_name), key[2]
        if not first or not last or "." not in dom:
            return ()
        webmail, disposable = dom in _WEBMAIL, dom in _DISPOSABLE

        def found(email: str, status: SmtpStatus, reason: str | None = None) -> EmailCandidate:
            return EmailCandidate(
                email, status, reason, is_webmail=webmail, is_disposable=disposable
            )

        pattern = stable_choice(self.seed, _PATTERNS, "pattern", dom)
        address = _address(pattern, first, last, dom)
        roll = stable_fraction(self.seed, "email", *key)
        if stable_fraction(self.seed, "catchall", dom) < _CATCHALL_DOMAIN_RATE:
            if roll >= 0.85:
                return ()
            candidates = [found(address, "unknown", "catchall")]
            if roll < 0.28:
                other = next(p for p in _PATTERNS if _address(p, first, last, dom) != address)
                candidates.append(found(_address(other, first, last, dom), "unknown", "catchall"))
            return tuple(candidates)
        if roll < 0.76:
            return (found(address, "valid"),)
        if roll < 0.86:
            reason = stable_choice(
                self.seed, ("banned", "connection_error", "greylist"), "reason", *key
            )
            return (found(address, "unknown", reason),)
        return ()

    def set_emails(
        self, first_name: str, last_name: str, domain: str, emails: list[EmailCandidate]
    ) -> None:
        """Force what is found for a person at a domain; an empty list means nothing is found."""
        self._emails[person_key(first_name, last_name, domain)] = tuple(emails)

    def clear_overrides(self) -> None:
        """Return to purely seeded outcomes."""
        self._domains.clear()
        self._emails.clear()


def _address(pattern: str, first: str, last: str, domain: str) -> str:
    return pattern.format(f=first, l=last, fi=first[0]) + "@" + domain
