"""What happens on the register after the snapshot: strike-off entries and exits, routine
changes and stream noise, emitted as matching events on the companies, filings and officers
streams and recorded in the population overlay so the REST API agrees.

Scenario methods are synchronous and must run on the event loop thread that serves the stream
(they wake the connections waiting for new events).
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Literal

from . import filings as fl
from . import reference_data as ref
from .company_facts import CompanyFacts, base_status, generate_address
from .config import SimulatorConfig
from .dates import add_months, add_years, iso
from .draws import Draws, entity_key
from .envelope import RESOURCE_ENCODER, encode_event
from .event_log import EventLog
from .officers import generate_officer
from .population import Population
from .resources import company_profile

StrikeOffKind = Literal["voluntary", "compulsory"]
ExitReason = Literal[
    "brought-up-to-date",
    "discontinued",
    "withdrawn",
    "suspended",
    "compulsory-suspended",
    "dissolved",
]
EXIT_REASONS: Final[tuple[str, ...]] = (
    "brought-up-to-date",
    "discontinued",
    "withdrawn",
    "suspended",
    "compulsory-suspended",
    "dissolved",
)
_EXIT_FILINGS: Final = {
    "brought-up-to-date": (fl.DISS40,),
    "discontinued": (fl.SOADA,),
    "withdrawn": (fl.DS02, fl.SOADA),
    "suspended": (fl.SOASA,),
    "compulsory-suspended": (fl.DISS16_SOAS,),
}
_NOISE: Final = (
    ("reemit", 45),
    ("accounts", 15),
    ("confirmation", 12),
    ("officer", 10),
    ("duplicate", 8),
    ("address", 5),
    ("filing", 4),
    ("deleted", 1),
)


@dataclass(frozen=True)
class EmittedEvent:
    stream: str
    timepoint: int
    resource_id: str
    description: str  # event type, or the filing description


@dataclass(frozen=True)
class Transition:
    """A strike-off entry or exit, as the product should eventually report it."""

    number: str
    change: Literal["entered", "left"]
    kind: str  # "voluntary"/"compulsory" for entries, the exit reason for exits
    strike_off_kind: str  # the kind of strike-off entered or left
    events: tuple[EmittedEvent, ...]


@dataclass
class StreamCounters:
    events: Counter[str] = field(default_factory=Counter)  # per stream
    event_types: Counter[str] = field(default_factory=Counter)  # "stream:type"
    entered: Counter[str] = field(default_factory=Counter)  # per strike-off kind
    left: Counter[str] = field(default_factory=Counter)  # per exit reason
    noise: Counter[str] = field(default_factory=Counter)  # per noise kind

    def to_json(self) -> dict[str, Any]:
        return {
            "events": dict(self.events),
            "event_types": dict(self.event_types),
            "strike_off_entered": dict(self.entered),
            "strike_off_left": dict(self.left),
            "noise": dict(self.noise),
        }


class StreamEngine:
    """Generates register changes and appends their events to the stream logs."""

    def __init__(
        self, population: Population, logs: dict[str, EventLog], config: SimulatorConfig
    ) -> None:
        self.population = population
        self.logs = logs
        self.config = config
        self.counters = StreamCounters()
        self.transitions: list[Transition] = []
        self._rng = random.Random(config.seed * 7919 + 17)
        self._serial = 3_300_000_000 + (config.seed % 10_000) * 10_000
        self._last_profile: tuple[str, bytes] | None = None
        # Encoded profile per company position, reused while its etag is unchanged: most
        # stream events are re-emissions, and encoding dominates generating them.
        self._profiles: dict[int, tuple[str, bytes]] = {}
        self._pool: list[int] | None = None  # restricts random picks (see generate_backlog)
        self._noise_kinds = [k for k, _ in _NOISE]
        self._noise_weights = [w for _, w in _NOISE]

    # -- low level emission -------------------------------------------------------------------

    def _next_serial(self) -> int:
        self._serial += 1
        return self._serial

    def _day(self) -> date:
        today = datetime.fromtimestamp(self.config.clock(), UTC).date()
        return max(today, self.population.as_of)

    def _append(
        self,
        stream: str,
        kind: str,
        uri: str,
        resource_id: str,
        data: bytes | None,
        event_type: str = "changed",
        fields_changed: list[str] | None = None,
    ) -> int:
        now = self.config.clock()
        timepoint = self.logs[stream].append(
            lambda tp: encode_event(
                kind, uri, resource_id, data, tp, now, event_type, fields_changed
            )
        )
        self.counters.events[stream] += 1
        self.counters.event_types[f"{stream}:{event_type}"] += 1
        return timepoint

    def emit_profile(
        self, facts: CompanyFacts, fields_changed: list[str] | None = None
    ) -> EmittedEvent:
        """A ``company-profile`` event with the company's current state."""
        omit = self.config.omit_status_detail
        cached = self._profiles.get(facts.position)
        if cached is not None and cached[0] == facts.etag:
            data = cached[1]
        else:
            data = RESOURCE_ENCODER.encode(company_profile(facts, include_status_detail=not omit))
            if len(self._profiles) >= 100_000:
                self._profiles.clear()
            self._profiles[facts.position] = (facts.etag, data)
        self._last_profile = (facts.number, data)
        timepoint = self._append(
            "companies",
            "company-profile",
            f"/company/{facts.number}",
            facts.number,
            data,
            fields_changed=None if omit else fields_changed,
        )
        return EmittedEvent("companies", timepoint, facts.number, "changed")

    def emit_filing(
        self,
        facts: CompanyFacts,
        filing: fl.FilingType,
        description_values: dict[str, Any] | None = None,
    ) -> EmittedEvent:
        """A ``filing-history`` event; the filing is also recorded for the REST API."""
        item = fl.filing_item(
            facts.number, self._next_serial(), filing, self._day(), description_values
        )
        self.population.record_filing(facts.number, item)
        tid = item["transaction_id"]
        timepoint = self._append(
            "filings",
            "filing-history",
            f"/company/{facts.number}/filing-history/{tid}",
            tid,
            RESOURCE_ENCODER.encode(item),
        )
        return EmittedEvent("filings", timepoint, tid, filing.description)

    def emit_officer(self, number: str, item: dict[str, Any]) -> EmittedEvent:
        uri = str(item["links"]["self"])
        appointment_id = uri.rsplit("/", 1)[-1]
        timepoint = self._append(
            "officers", "company-officers", uri, appointment_id, RESOURCE_ENCODER.encode(item)
        )
        return EmittedEvent("officers", timepoint, appointment_id, "changed")

    def _changed(self, facts: CompanyFacts, **changes: Any) -> CompanyFacts:
        """A new state with a fresh etag, recorded in the overlay."""
        etag = hashlib.blake2b(
            f"{facts.etag}:{self._next_serial()}".encode(), digest_size=20
        ).hexdigest()
        updated = facts._replace(etag=etag, **changes)
        self.population.update_company(updated)
        return updated

    def _require(self, number: str) -> CompanyFacts:
        facts = self.population.company(number)
        if facts is None:
            raise KeyError(f"{number} is not a live company of this population")
        return facts

    # -- strike-off scenarios -----------------------------------------------------------------

    def enter_strike_off(
        self, number: str, kind: StrikeOffKind = "compulsory", *, misspelt: bool | None = None
    ) -> Transition:
        """Propose a company for strike-off: voluntary = DS01 then the GAZ1(A) notice;
        compulsory = the GAZ1 notice (sometimes spelt ``gazette-notice-compulsary``)."""
        facts = self._require(number)
        if facts.status != "active" or facts.is_strike_off:
            raise ValueError(f"{number} is not an active company outside strike-off")
        if kind not in ("voluntary", "compulsory"):
            raise ValueError(f"unknown strike-off kind {kind!r}")
        events: list[EmittedEvent] = []
        if kind == "voluntary":
            application = fl.LLDS01 if facts.kind is ref.LLP else fl.DS01
            events.append(self.emit_filing(facts, application))
        updated = self._changed(
            facts,
            status_detail=ref.STRIKE_OFF_DETAIL,
            bulk_status=ref.STRIKE_OFF_STATUS,
            strike_off_kind=kind,
        )
        events.append(self.emit_profile(updated, ["company_status_detail"]))
        if kind == "voluntary":
            notice = fl.GAZ1A
        else:
            if misspelt is None:
                misspelt = self._rng.random() < 0.1
            notice = fl.GAZ1_MISSPELT if misspelt else fl.GAZ1
        events.append(self.emit_filing(updated, notice))
        self.counters.entered[kind] += 1
        transition = Transition(number, "entered", kind, kind, tuple(events))
        self.transitions.append(transition)
        return transition

    def leave_strike_off(self, number: str, reason: str | None = None) -> Transition:
        """End a strike-off. Reasons: ``brought-up-to-date`` (DISS40), ``discontinued``
        (SOAD(A)), ``withdrawn`` (DS02 + SOAD(A)), ``suspended`` (SOAS(A)),
        ``compulsory-suspended`` (DISS16(SOAS)) or ``dissolved`` (GAZ2/GAZ2(A)). The default
        follows the kind: DISS40 for compulsory, SOAD(A) for voluntary."""
        facts = self._require(number)
        if not facts.is_strike_off:
            raise ValueError(f"{number} is not proposed for strike-off")
        kind = facts.strike_off_kind or "compulsory"
        if reason is None:
            reason = "brought-up-to-date" if kind == "compulsory" else "discontinued"
        if reason not in EXIT_REASONS:
            raise ValueError(f"unknown exit reason {reason!r}; expected one of {EXIT_REASONS}")
        events: list[EmittedEvent] = []
        if reason == "dissolved":
            updated = self._changed(
                facts,
                status="dissolved",
                status_detail=None,
                bulk_status="Dissolved",
                strike_off_kind=None,
                ceased=self._day(),
            )
            events.append(self.emit_filing(updated, fl.GAZ2A if kind == "voluntary" else fl.GAZ2))
            fields = ["company_status", "company_status_detail", "date_of_cessation"]
            events.append(self.emit_profile(updated, fields))
        else:
            for filing in _EXIT_FILINGS[reason]:
                events.append(self.emit_filing(facts, filing))
            updated = self._changed(
                facts, status_detail=None, bulk_status=ref.ACTIVE.csv, strike_off_kind=None
            )
            events.append(self.emit_profile(updated, ["company_status_detail"]))
        self.counters.left[reason] += 1
        transition = Transition(number, "left", reason, kind, tuple(events))
        self.transitions.append(transition)
        return transition

    # -- routine changes and noise ------------------------------------------------------------

    def _random_company(self, *, strike_off: bool | None = False) -> CompanyFacts | None:
        """A random live, active company (in or out of strike-off as asked)."""
        population = self.population
        overlay = population.overlay
        pool = self._pool
        for _ in range(400):
            index = self._rng.choice(pool) if pool else self._rng.randrange(population.size)
            if index in overlay.removed:
                continue
            changed = overlay.companies.get(index)
            if strike_off is not None:
                in_strike_off = (
                    changed.is_strike_off
                    if changed is not None
                    else base_status(population.seed, index) is ref.STRIKE_OFF
                )
                if in_strike_off != strike_off:
                    continue
            facts = changed if changed is not None else population.base_company(index)
            if facts.status == "active":
                return facts
        return None

    def emit_noise(self, count: int) -> int:
        """Emit ``count`` routine changes (re-emissions, duplicates, accounts and confirmation
        statements, address and officer changes, other filings, deleted events)."""
        emitted = 0
        for _ in range(count):
            kind = self._rng.choices(self._noise_kinds, self._noise_weights)[0]
            facts = self._random_company(strike_off=None)
            if facts is None:
                continue
            self._noise(kind, facts)
            self.counters.noise[kind] += 1
            emitted += 1
        return emitted

    def _noise(self, kind: str, facts: CompanyFacts) -> None:
        rng = self._rng
        fields = rng.random() < 0.5
        if kind == "duplicate" and self._last_profile is not None:
            number, data = self._last_profile
            self._append("companies", "company-profile", f"/company/{number}", number, data)
        elif kind == "deleted":
            # Deleted profiles name companies outside this population, so REST answers 404
            # for them too and stays consistent with the stream.
            number = f"{rng.choice(('RS', 'SO', 'FC'))}{rng.randrange(1, 999_999):06d}"
            self._append(
                "companies", "company-profile", f"/company/{number}", number, None, "deleted"
            )
        elif kind == "accounts" and facts.accounts is not None:
            a = facts.accounts
            day = self._day()
            next_end = add_years(a.next_made_up_to, 1)
            next_due = add_months(next_end, 9)
            accounts = a._replace(
                last_made_up=a.next_made_up_to,
                last_period_start=a.next_period_start,
                next_period_start=a.next_made_up_to + timedelta(days=1),
                next_made_up_to=next_end,
                next_due=next_due,
                overdue=next_due < day,
                csv_category=a.csv_category if a.api_type else "MICRO ENTITY",
                api_type=a.api_type or "micro-entity",
            )
            updated = self._changed(facts, accounts=accounts)
            values = {"made_up_date": iso(a.next_made_up_to)}
            self.emit_filing(updated, fl.accounts_filing(accounts.api_type), values)
            self.emit_profile(updated, ["accounts"] if fields else None)
        elif kind == "confirmation" and facts.confirmation is not None:
            cs = facts.confirmation
            next_made_up = add_years(cs.next_made_up_to, 1)
            next_due = next_made_up + timedelta(days=14)
            statement = cs._replace(
                last_made_up=cs.next_made_up_to,
                next_made_up_to=next_made_up,
                next_due=next_due,
                overdue=next_due < self._day(),
            )
            updated = self._changed(facts, confirmation=statement)
            values = {"made_up_date": iso(cs.next_made_up_to)}
            self.emit_filing(updated, fl.CS01, values)
            self.emit_profile(updated, ["confirmation_statement"] if fields else None)
        elif kind == "address":
            prefix = "" if facts.number[0].isdigit() else facts.number[:2]
            draws = Draws(
                entity_key(self.config.seed, facts.position, b"address:%d" % self._serial)
            )
            address = generate_address(draws, prefix)
            updated = self._changed(facts, address=address)
            values = {
                "change_date": iso(self._day()),
                "old_address": _one_line(facts),
                "new_address": _one_line(updated),
            }
            self.emit_filing(updated, fl.AD01, values)
            self.emit_profile(updated, ["registered_office_address"] if fields else None)
        elif kind == "officer":
            self._officer_change(facts)
        elif kind == "filing":
            self.emit_filing(facts, rng.choice((fl.PSC04, fl.SH01)))
        else:
            self.emit_profile(facts)  # a no-op re-emission: same data, same etag

    def _officer_change(self, facts: CompanyFacts) -> None:
        items = list(self.population.officers(facts.number) or [])
        day = iso(self._day())
        current = [i for i in items if "resigned_on" not in i]
        serial = self._next_serial()
        if len(current) > 1 and self._rng.random() < 0.4:
            leaving = self._rng.choice(current)
            changed = dict(leaving, resigned_on=day, etag=_etag(f"{leaving['etag']}:{serial}"))
            items[items.index(leaving)] = changed
            values = {"officer_name": changed["name"], "termination_date": day}
            self.emit_filing(facts, fl.TM01, values)
        else:
            base = self.population.base_company(facts.position)
            changed = generate_officer(
                self.config.seed, base, 10_000 + serial, self.population.as_of
            )
            changed.pop("resigned_on", None)
            changed.pop("appointed_before", None)
            changed.pop("is_pre_1992_appointment", None)
            changed["appointed_on"] = day
            items.append(changed)
            values = {"officer_name": changed["name"], "appointment_date": day}
            self.emit_filing(facts, fl.AP01, values)
        self.population.set_officers(facts.number, items)
        self.emit_officer(facts.number, changed)

    def step(self) -> None:
        """One live event: mostly noise, sometimes a strike-off entry or exit."""
        roll = self._rng.random()
        if roll < 0.12:
            facts = self._random_company(strike_off=False)
            if facts is not None:
                kind: StrikeOffKind = "voluntary" if self._rng.random() < 0.3 else "compulsory"
                self.enter_strike_off(facts.number, kind)
                return
        elif roll < 0.2:
            facts = self._random_company(strike_off=True)
            if facts is not None:
                reason = self._rng.choice(EXIT_REASONS) if self._rng.random() < 0.5 else None
                self.leave_strike_off(facts.number, reason)
                return
        self.emit_noise(1)

    def generate_backlog(
        self,
        count: int,
        *,
        stream: str = "companies",
        strike_off_share: float = 0.02,
        pool: int | None = 20_000,
    ) -> int:
        """Append events until ``stream`` (or all streams, with ``"all"``) has ``count`` more;
        about ``strike_off_share`` of the steps are strike-off entries or exits. Companies are
        drawn from a random working set of ``pool`` companies (None: the whole population),
        so a large backlog revisits companies the way the live stream re-emits them, and is
        generated quickly."""

        def total() -> int:
            if stream == "all":
                return sum(self.counters.events.values())
            return self.counters.events[stream]

        if stream != "all" and stream not in self.logs:
            raise ValueError(f"unknown stream {stream!r}")
        size = self.population.size
        if pool is not None and pool < size:
            self._pool = self._rng.sample(range(size), pool)
        start = total()
        compulsory_share = strike_off_share * 0.4
        try:
            while total() - start < count:
                roll = self._rng.random()
                if roll < strike_off_share * 0.6:
                    facts = self._random_company(strike_off=False)
                    if facts is not None:
                        kind: StrikeOffKind = (
                            "compulsory" if roll < compulsory_share else "voluntary"
                        )
                        self.enter_strike_off(facts.number, kind)
                        continue
                elif roll < strike_off_share:
                    facts = self._random_company(strike_off=True)
                    if facts is not None:
                        self.leave_strike_off(facts.number)
                        continue
                self.emit_noise(1)
        finally:
            self._pool = None
        return total() - start


def _one_line(facts: CompanyFacts) -> str:
    a = facts.address
    parts = (a.line_1.replace("\n", ", "), a.line_2, a.town, a.postcode)
    return ", ".join(p for p in parts if p)


def _etag(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()
