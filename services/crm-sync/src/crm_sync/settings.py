"""crm-sync settings, from ``LEADPIPE_*`` environment variables."""

from __future__ import annotations

import enum

import msgspec

from leadpipe_runtime import BaseSettings, Secret


class LeftAction(enum.StrEnum):
    """What a company leaving proposal to strike off does to its contacts in GoHighLevel."""

    TAG = "tag"
    """Add ``strike_off_left_tag`` (the lead stays, marked)."""
    UNTAG = "untag"
    """Remove the strike-off tags this service added."""
    NONE = "none"
    """Leave the contacts as they are."""


class Settings(BaseSettings, frozen=True, kw_only=True):
    """Settings of crm-sync; see ``BaseSettings`` for the shared ones.

    Attributes:
        ghl_api_url: GoHighLevel API v2 base URL (``LEADPIPE_GHL_API_URL``).
        ghl_token: Sub-account Private Integration Token or location OAuth token.
        ghl_location_id: The sub-account (location) contacts are written to.
        ghl_timeout_seconds: Deadline of one HTTP call.
        ghl_burst_limit / ghl_burst_interval_seconds: The client's own budget per rolling window;
            below GoHighLevel's 100 / 10 s so that clock skew and other apps on the location
            leave headroom.
        ghl_daily_limit: The client's own budget per UTC day (GoHighLevel allows 200,000).
        ghl_backoff_base_seconds / ghl_backoff_max_seconds: Exponential back-off after a 429.
        ghl_auth_retry_seconds: After a 401/403, how long before one call probes the token again.
        ghl_server_error_attempts: Tries of one call on 5xx or transport errors before the
            message goes back to the broker's retry schedule.
        base_tags: Tags every contact gets (lower case, as GoHighLevel stores them).
        strike_off_left_action: ``tag`` (default), ``untag`` or ``none``.
        strike_off_left_tag: The tag ``tag`` adds.
        field_*: Names of the contact custom fields; missing ones are created at start.
        contact_source: The ``source`` GoHighLevel records for the contacts.
    """

    ops_port: int = 9106
    ghl_api_url: str = "https://services.leadconnectorhq.com"
    ghl_token: Secret = msgspec.field(default_factory=lambda: Secret(""))
    ghl_location_id: str = ""
    ghl_timeout_seconds: float = 15.0
    ghl_burst_limit: int = 90
    ghl_burst_interval_seconds: float = 10.0
    ghl_daily_limit: int = 195_000
    ghl_backoff_base_seconds: float = 1.0
    ghl_backoff_max_seconds: float = 60.0
    ghl_auth_retry_seconds: float = 60.0
    ghl_server_error_attempts: int = 3
    base_tags: tuple[str, ...] = ("strike-off", "leadpipe")
    strike_off_left_action: LeftAction = LeftAction.TAG
    strike_off_left_tag: str = "strike-off-left"
    field_company_number: str = "Company Number"
    field_strike_off_date: str = "Strike-off Date"
    field_officer_role: str = "Officer Role"
    field_lead_score: str = "Lead Score"
    contact_source: str = "leadpipe"

    def __post_init__(self) -> None:
        if not self.ghl_token:
            raise ValueError("LEADPIPE_GHL_TOKEN is required")
        if not self.ghl_location_id:
            raise ValueError("LEADPIPE_GHL_LOCATION_ID is required")
        if self.ghl_burst_limit < 1 or self.ghl_burst_interval_seconds <= 0:
            raise ValueError("LEADPIPE_GHL_BURST_LIMIT and _INTERVAL_SECONDS must be positive")
        if self.ghl_daily_limit < 1:
            raise ValueError("LEADPIPE_GHL_DAILY_LIMIT must be positive")
        if self.ghl_server_error_attempts < 1:
            raise ValueError("LEADPIPE_GHL_SERVER_ERROR_ATTEMPTS must be at least 1")
