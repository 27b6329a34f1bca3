"""Decoding Snov.io task results (``/result`` bodies) into what the enricher needs.

Undocumented shapes are handled defensively (reference snov-ghl.md 1.3): a name with no domain
may come back as ``"result": null``, ``{}``, ``[]`` or no entry at all, and all mean "none".
Entries are matched to what was sent by name (exactly, then normalised), e-mail entries by the
person's name, then by position.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

import msgspec

from snov_enricher.names import normalise_company_name


class TaskStatus(enum.StrEnum):
    """A task's state as the enricher understands it."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    NOT_ENOUGH_CREDITS = "not_enough_credits"
    UNKNOWN = "unknown"


def task_status(raw: str | None) -> TaskStatus:
    """Map Snov.io's spellings (``in progress`` and ``in_progress``) to one value."""
    text = (raw or "").strip().lower().replace(" ", "_")
    try:
        return TaskStatus(text)
    except ValueError:
        return TaskStatus.UNKNOWN


class _Body(msgspec.Struct, kw_only=True):
    status: str | None = None
    data: Any = None


@dataclasses.dataclass(frozen=True)
class EmailCandidate:
    """One e-mail Snov.io found for a person."""

    email: str
    smtp_status: str
    unknown_status_reason: str | None = None


@dataclasses.dataclass(frozen=True)
class DomainResult:
    """A completed (or not) company-domain-by-name result."""

    status: TaskStatus
    domains: dict[str, str | None]  # sent name -> domain (None: not found)


@dataclasses.dataclass(frozen=True)
class EmailResult:
    """A completed (or not) emails-by-domain-by-name result, per sent row index."""

    status: TaskStatus
    emails: dict[int, tuple[EmailCandidate, ...]]


class ResultError(ValueError):
    """The body is not a result at all (not JSON, not an object)."""


_decoder = msgspec.json.Decoder(_Body)


def _decode(body: bytes) -> _Body:
    try:
        return _decoder.decode(body)
    except msgspec.DecodeError as exc:
        raise ResultError(f"not a Snov.io result: {exc}") from exc


def parse_domain_result(body: bytes, sent: list[str]) -> DomainResult:
    """Domains per sent name; names with no usable entry map to None."""
    decoded = _decode(body)
    status = task_status(decoded.status)
    found: dict[str, str | None] = dict.fromkeys(sent)
    if status is not TaskStatus.COMPLETED:
        return DomainResult(status, found)
    by_normalised = {normalise_company_name(name): name for name in sent}
    entries = decoded.data if isinstance(decoded.data, list) else []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        name = entry.get("name")
        if not isinstance(name, str):
            continue
        target = name if name in found else by_normalised.get(normalise_company_name(name))
        if target is None:
            continue
        result = entry.get("result")
        domain = result.get("domain") if isinstance(result, dict) else None
        if isinstance(domain, str) and domain.strip():
            found[target] = domain.strip().lower()
    return DomainResult(status, found)


def _candidates(items: Any) -> tuple[EmailCandidate, ...]:
    out: list[EmailCandidate] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        email, status = item.get("email"), item.get("smtp_status")
        if not isinstance(email, str) or "@" not in email or not isinstance(status, str):
            continue
        reason = item.get("unknown_status_reason")
        out.append(
            EmailCandidate(
                email=email.strip().lower(),
                smtp_status=status.strip().lower(),
                unknown_status_reason=reason if isinstance(reason, str) else None,
            )
        )
    return tuple(out)


def parse_email_result(body: bytes, sent: list[tuple[str, str]]) -> EmailResult:
    """E-mail candidates per sent row (first name, last name), by row index."""
    decoded = _decode(body)
    status = task_status(decoded.status)
    if status is not TaskStatus.COMPLETED:
        return EmailResult(status, {})
    entries = [e for e in (decoded.data if isinstance(decoded.data, list) else [])]
    # One batch can hold two people of the same name at different domains, and an entry names
    # only the person: such rows are told apart by position (one entry per row, in row order).
    people: dict[str, list[int]] = {}
    for row, (first, last) in enumerate(sent):
        people.setdefault(f"{first} {last}".strip().lower(), []).append(row)
    emails: dict[int, tuple[EmailCandidate, ...]] = {}
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        name = entry.get("people")
        rows = people.get(name.strip().lower(), []) if isinstance(name, str) else []
        index: int | None
        if position in rows and position not in emails:
            index = position
        else:
            index = next((row for row in rows if row not in emails), rows[-1] if rows else None)
        if index is None and position < len(sent) and position not in emails:
            index = position
        if index is None:
            continue
        emails[index] = emails.get(index, ()) + _candidates(entry.get("result"))
    return EmailResult(status, emails)


def best_email(
    candidates: tuple[EmailCandidate, ...], include_unknown: bool
) -> EmailCandidate | None:
    """The address to use as a contact: the first ``valid`` one, else (if allowed) ``unknown``."""
    for candidate in candidates:
        if candidate.smtp_status == "valid":
            return candidate
    if include_unknown:
        for candidate in candidates:
            if candidate.smtp_status == "unknown":
                return candidate
    return None


def email_confidence(candidate: EmailCandidate) -> float:
    """1.0 for a verified address; 0.5 for unknown, 0.3 for a catch-all domain's guess."""
    if candidate.smtp_status == "valid":
        return 1.0
    return 0.3 if candidate.unknown_status_reason == "catchall" else 0.5


def charged_credits(candidates: tuple[EmailCandidate, ...]) -> int:
    """Credits Snov.io charges for these candidates: 1 per valid or unknown address."""
    return sum(1 for c in candidates if c.smtp_status in ("valid", "unknown"))
