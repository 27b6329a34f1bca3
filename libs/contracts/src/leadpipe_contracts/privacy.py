"""Data-subject erasure and suppression, which must reach every schema.

Subjects: ``privacy.erasure.requested``, ``privacy.erasure.completed``.
"""

from __future__ import annotations

from leadpipe_contracts._base import Event


class PrivacyErasureRequested(Event, frozen=True, kw_only=True, tag="privacy.erasure.requested.v1"):
    """Erase everything held about a person and suppress them from now on.

    Attributes:
        request_id: Correlates the per-service completions.
        officer_id / email / name / company_number: The identifiers known; each service erases
            what matches any of them.
    """

    request_id: str
    officer_id: str | None = None
    email: str | None = None
    name: str | None = None
    company_number: str | None = None
    requested_by: str


class PrivacyErasureCompleted(Event, frozen=True, kw_only=True, tag="privacy.erasure.completed.v1"):
    """One service finished an erasure request."""

    request_id: str
    service: str
    records_erased: int


PrivacyEvent = PrivacyErasureRequested | PrivacyErasureCompleted
