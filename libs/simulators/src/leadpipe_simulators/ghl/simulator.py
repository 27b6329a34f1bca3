"""``GhlSimulator``: GoHighLevel API v2 (contacts, tags, custom fields) as a real HTTP server.

Serves the endpoints in ``api`` with the duplicate rules in ``contacts``, the limits in
``rate_limits`` and the faults in ``faults``; every control here is also reachable over HTTP
under /_sim/ (``admin``) for a simulator running in another process.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from typing import Any

from aiohttp import web

from leadpipe_simulators._common.clock import SimClock
from leadpipe_simulators._common.determinism import stable_uuid
from leadpipe_simulators._common.faults import HttpFaults
from leadpipe_simulators._common.server import HttpSimulator
from leadpipe_simulators.ghl.admin import GhlAdmin
from leadpipe_simulators.ghl.api import GhlApi
from leadpipe_simulators.ghl.config import GhlConfig, LocationSettings, MatchField
from leadpipe_simulators.ghl.contacts import ContactStore
from leadpipe_simulators.ghl.custom_fields import CustomField, CustomFieldStore
from leadpipe_simulators.ghl.faults import DEFAULT_REJECTION, GhlFaults
from leadpipe_simulators.ghl.rate_limits import LocationRateLimiter


class GhlSimulator(HttpSimulator):
    """A running-on-demand GoHighLevel API with inspection and fault switches."""

    def __init__(self, config: GhlConfig | None = None) -> None:
        given = config or GhlConfig()
        # Own copies: add_token() and set_location_settings() must not edit the caller's dicts.
        self.config = dataclasses.replace(
            given, tokens=dict(given.tokens), locations=dict(given.locations)
        )
        clock = SimClock(
            self.config.clock, time_scale=self.config.time_scale, start=self.config.start_time
        )
        super().__init__(clock, self.config.request_log_size)
        self.faults = HttpFaults()
        self.ghl_faults = GhlFaults()
        self.limiter = LocationRateLimiter(
            self.config.burst_limit, self.config.burst_interval, self.config.daily_limit
        )
        self.contact_store = ContactStore(self.config.seed)
        self.custom_field_store = CustomFieldStore(self.config.seed)
        self.counters: Counter[str] = Counter()
        self._traces = itertools.count(1)

    def _build_app(self) -> web.Application:
        app = web.Application()
        GhlApi(self).install(app)
        GhlAdmin(self).install(app)
        return app

    async def _on_start(self) -> None:
        """Nothing beyond the server: the GoHighLevel simulator makes no outgoing calls."""

    async def _on_stop(self) -> None:
        """Nothing to release (see :meth:`_on_start`)."""

    def next_trace_id(self) -> str:
        """A fresh traceId for a response."""
        return stable_uuid(self.config.seed, "trace", next(self._traces))

    # --- tokens, locations, limits -----------------------------------------------------------

    def add_token(self, token: str, location_id: str) -> None:
        """Accept ``token`` for ``location_id``."""
        self.config.tokens[token] = location_id

    def revoke_token(self, token: str) -> None:
        """Stop accepting ``token``."""
        self.config.tokens.pop(token, None)

    def location_settings(self, location_id: str) -> LocationSettings:
        """The location's duplicate-contact settings (defaults if never set)."""
        return self.config.locations.setdefault(location_id, LocationSettings())

    def set_location_settings(
        self,
        location_id: str,
        allow_duplicates: bool | None = None,
        match_order: tuple[MatchField, ...] | None = None,
    ) -> LocationSettings:
        """Change the location's "Allow Duplicate Contact" preferences."""
        current = self.location_settings(location_id)
        updated = LocationSettings(
            current.allow_duplicates if allow_duplicates is None else allow_duplicates,
            current.match_order if match_order is None else match_order,
        )
        self.config.locations[location_id] = updated
        return updated

    def set_rate_limits(
        self,
        burst_limit: int | None = None,
        burst_interval: float | None = None,
        daily_limit: int | None = None,
    ) -> None:
        """Change the per-location limits (counts so far are forgotten)."""
        self.limiter.configure(
            burst_limit or self.limiter.burst_limit,
            burst_interval or self.limiter.burst_interval,
            daily_limit or self.limiter.daily_limit,
        )

    def reset_rate_limits(self) -> None:
        """Forget every counted request."""
        self.limiter.reset()

    # --- data --------------------------------------------------------------------------------

    def add_custom_field(
        self, location_id: str, name: str, data_type: str = "TEXT", model: str = "contact"
    ) -> CustomField:
        """Define a custom field as if created in the GoHighLevel UI."""
        return self.custom_field_store.create(location_id, name, data_type, model)

    def custom_fields(self, location_id: str) -> list[CustomField]:
        """The location's custom field definitions."""
        return self.custom_field_store.for_location(location_id)

    def contacts(self, location_id: str | None = None) -> list[dict[str, Any]]:
        """Every contact as the API shows it, in creation order."""
        return [c.to_wire() for c in self.contact_store.all(location_id)]

    def contact(self, contact_id: str) -> dict[str, Any] | None:
        """One contact as the API shows it, or None."""
        found = self.contact_store.get(contact_id)
        return found.to_wire() if found is not None else None

    def contacts_by_email(self, email: str, location_id: str | None = None) -> list[dict[str, Any]]:
        """Contacts with this e-mail (case-insensitive)."""
        wanted = email.lower()
        return [c.to_wire() for c in self.contact_store.all(location_id) if c.email_lower == wanted]

    def count_by_email(self, email: str, location_id: str | None = None) -> int:
        """How many contacts have this e-mail: more than 1 means a duplicate was created."""
        return self.contact_store.count_by_email(email, location_id)

    def reset(self) -> None:
        """Forget contacts, custom fields, counters, the request log and counted requests."""
        self.contact_store.clear()
        self.custom_field_store.clear()
        self.counters.clear()
        self.request_log.clear()
        self.limiter.reset()

    # --- faults ------------------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next ``count`` authenticated calls with a 5xx."""
        self.faults.fail_next(count, status)

    def set_latency(self, seconds: float) -> None:
        """Delay every API call by ``seconds`` of real time."""
        self.faults.set_latency(seconds)

    def storm_429(self, count: int | None = None, seconds: float | None = None) -> None:
        """429 the next ``count`` calls and/or every call for ``seconds`` simulated seconds."""
        self.ghl_faults.storm(self.clock.now(), count, seconds)

    def reject_email(self, email: str, message: str = DEFAULT_REJECTION) -> None:
        """Make upserts of this e-mail fail with 422 while other contacts go through."""
        self.ghl_faults.reject_email(email, message)

    def clear_faults(self) -> None:
        """Switch every fault off."""
        self.faults.clear()
        self.ghl_faults.clear()

    # --- inspection --------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counters: requests by status, contacts, upsert outcomes, rejections, faults."""
        now = self.clock.now()
        return {
            "now": now,
            "requests": self.request_log.total,
            "by_status": {str(k): v for k, v in sorted(self.request_log.by_status.items())},
            "contacts": len(self.contact_store.all()),
            "custom_fields": len(self.custom_field_store.list_all()),
            **{
                key: self.counters[key]
                for key in (
                    "created",
                    "updated",
                    "deleted",
                    "rejected_422",
                    "forced_422",
                    "rate_limited_429",
                    "unknown_custom_field_ids",
                )
            },
            "faults": {**self.faults.snapshot(), **self.ghl_faults.snapshot(now)},
            "rate_limits": {
                "burst_limit": self.limiter.burst_limit,
                "burst_interval": self.limiter.burst_interval,
                "daily_limit": self.limiter.daily_limit,
            },
        }
