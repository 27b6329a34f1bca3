"""GoHighLevel-specific faults: 429 storms and a forced 422 for chosen e-mail addresses.

A storm answers 429 to every authenticated call for the next N calls and/or until a simulated
time, whatever the real rate (the way a shared app bucket can run dry). A rejected e-mail makes
each upsert carrying it fail with 422 while every other contact goes through.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_REJECTION = "email must be an email"


@dataclass
class GhlFaults:
    """Switches read on every API call."""

    storm_remaining: int = 0
    storm_until: float = 0.0
    storms_served: int = 0
    rejected_emails: dict[str, str] = field(default_factory=dict)

    def storm(self, now: float, count: int | None = None, seconds: float | None = None) -> None:
        """429 the next ``count`` calls and/or every call for ``seconds`` simulated seconds."""
        if count is None and seconds is None:
            raise ValueError("a storm needs a count, a duration or both")
        if (count is not None and count < 0) or (seconds is not None and seconds < 0):
            raise ValueError("storm count and duration must not be negative")
        self.storm_remaining = count or 0
        self.storm_until = now + seconds if seconds is not None else 0.0

    def take_storm(self, now: float) -> bool:
        """Whether this call is caught in a storm (consumes one from the count)."""
        if now < self.storm_until:
            self.storms_served += 1
            return True
        if self.storm_remaining > 0:
            self.storm_remaining -= 1
            self.storms_served += 1
            return True
        return False

    def reject_email(self, email: str, message: str = DEFAULT_REJECTION) -> None:
        """Make upserts with this e-mail (case-insensitive) fail with 422 ``[message]``."""
        self.rejected_emails[email.strip().lower()] = message

    def rejection_for(self, email: object) -> str | None:
        """The forced 422 message for this e-mail, if any."""
        if not isinstance(email, str):
            return None
        return self.rejected_emails.get(email.strip().lower())

    def clear(self) -> None:
        """Switch every GoHighLevel-specific fault off."""
        self.storm_remaining = 0
        self.storm_until = 0.0
        self.rejected_emails.clear()

    def snapshot(self, now: float) -> dict[str, object]:
        """The current switches, for /_sim/ stats."""
        return {
            "storm_remaining": self.storm_remaining,
            "storm_seconds_left": max(0.0, self.storm_until - now),
            "storms_served": self.storms_served,
            "rejected_emails": sorted(self.rejected_emails),
        }
