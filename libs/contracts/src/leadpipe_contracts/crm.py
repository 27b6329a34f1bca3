"""The CRM side of a lead (published by crm-sync).

Subjects: ``crm.contact.synced``, ``crm.contact.failed``, ``crm.contact.deleted``.
"""

from __future__ import annotations

from leadpipe_contracts._base import Event


class ContactSynced(Event, frozen=True, kw_only=True, tag="crm.contact.synced.v1"):
    """A contact was created or updated in GoHighLevel.

    Attributes:
        payload_hash: Hash of what was sent; an unchanged contact is never sent again.
    """

    contact_key: str
    company_number: str
    crm_contact_id: str
    created: bool
    payload_hash: str


class ContactSyncFailed(Event, frozen=True, kw_only=True, tag="crm.contact.failed.v1"):
    """GoHighLevel refused a contact (e.g. 422); recorded against it, others go on."""

    contact_key: str
    company_number: str
    status_code: int | None
    reason: str


class ContactDeleted(Event, frozen=True, kw_only=True, tag="crm.contact.deleted.v1"):
    """A contact was deleted from GoHighLevel (erasure) and suppressed."""

    contact_key: str
    crm_contact_id: str | None
    reason: str


CrmEvent = ContactSynced | ContactSyncFailed | ContactDeleted
