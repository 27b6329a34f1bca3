"""Data-subject erasure and suppression, which must reach every schema.

Subjects: ``privacy.erasure.requested``, ``privacy.erasure.completed``,
``privacy.suppression.lifted``, ``privacy.suppression.lift_completed``.
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


class PrivacySuppressionLifted(
    Event, frozen=True, kw_only=True, tag="privacy.suppression.lifted.v1"
):
    """An administrator lifted the suppression an erasure request set.

    The person may be enriched and synced again from the next fact about them on; nothing
    erased is restored.

    Attributes:
        request_id: The erasure request whose suppression ends.
    """

    request_id: str
    lifted_by: str


class PrivacySuppressionLiftCompleted(
    Event, frozen=True, kw_only=True, tag="privacy.suppression.lift_completed.v1"
):
    """One service stopped suppressing the person of an erasure request."""

    request_id: str
    service: str
    suppressions_removed: int


PrivacyEvent = (
    PrivacyErasureRequested
    | PrivacyErasureCompleted
    | PrivacySuppressionLifted
    | PrivacySuppressionLiftCompleted
)
