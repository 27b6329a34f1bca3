"""A deterministic synthetic register of companies and officers, from ``(seed, size)``.

Nothing is materialised: company ``i`` is derived from ``(seed, i)`` on demand, so a population
of 5.5 million costs no memory until companies are asked for. A small LRU keeps recently served
companies warm for the REST API. Changes after the snapshot date live in ``overlay``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any, Final

from . import reference_data as ref
from .company_facts import CompanyFacts, base_status, generate_company
from .company_numbers import NumberMapping, is_well_formed
from .officers import generate_officers, sort_key
from .overlay import Overlay
from .resources import company_profile

DEFAULT_AS_OF: Final = date(2026, 11, 1)
_CACHE_SIZE: Final = 32_768  # covers the working set of stream backlogs


class Population:
    """Companies and officers of one synthetic register."""

    def __init__(
        self,
        seed: int,
        size: int,
        *,
        as_of: date = DEFAULT_AS_OF,
        officer_counts: Mapping[str, int] | None = None,
    ) -> None:
        self.seed = seed
        self.size = size
        self.as_of = as_of
        self.numbers = NumberMapping(size)
        self.overlay = Overlay()
        self._officer_counts: dict[int, int] = {}
        self._cache: OrderedDict[int, CompanyFacts] = OrderedDict()
        self._strike_off_count: int | None = None
        for number, count in (officer_counts or {}).items():
            self.force_officer_count(number, count)

    def __len__(self) -> int:
        return self.size

    # -- numbers ------------------------------------------------------------------------------

    def number_of(self, index: int) -> str:
        return self.numbers.number_of(index)

    def index_of(self, number: str) -> int | None:
        """Index of a company number of this population (None if unknown or malformed)."""
        return self.numbers.index_of(number)

    @staticmethod
    def is_well_formed(number: str) -> bool:
        return is_well_formed(number)

    def indices(self) -> range:
        return range(self.size)

    def iter_numbers(self, *, bulk_status: str | None = None, start: int = 0) -> Iterator[str]:
        """Company numbers in index order, optionally only those whose *current* bulk status
        is ``bulk_status`` (e.g. ``reference_data.STRIKE_OFF_STATUS``)."""
        overlay = self.overlay
        for index in range(start, self.size):
            if index in overlay.removed:
                continue
            if bulk_status is not None:
                changed = overlay.companies.get(index)
                current = changed.bulk_status if changed else base_status(self.seed, index).csv
                if current != bulk_status:
                    continue
            yield self.numbers.number_of(index)

    def strike_off_numbers(self, limit: int | None = None) -> Iterator[str]:
        """Numbers of companies currently proposed for strike-off."""
        for count, number in enumerate(self.iter_numbers(bulk_status=ref.STRIKE_OFF_STATUS)):
            if limit is not None and count >= limit:
                return
            yield number

    def strike_off_candidates(self, count: int) -> list[str]:
        """Up to ``count`` active companies, not in strike-off, that have officers.

        Scenarios move these into strike-off: each then yields an officer list to fetch.
        """
        found: list[str] = []
        for number in self.iter_numbers():
            facts = self.company(number)
            if (
                facts
                and facts.status == "active"
                and not facts.is_strike_off
                and facts.officer_count
            ):
                found.append(number)
                if len(found) == count:
                    break
        return found

    def base_strike_off_count(self) -> int:
        """How many companies are proposed for strike-off in the snapshot (base state)."""
        if self._strike_off_count is None:
            seed = self.seed
            self._strike_off_count = sum(
                1 for i in range(self.size) if base_status(seed, i) is ref.STRIKE_OFF
            )
        return self._strike_off_count

    # -- companies ----------------------------------------------------------------------------

    def base_company(self, index: int) -> CompanyFacts:
        """Company ``index`` as of the snapshot date (ignores the overlay)."""
        cache = self._cache
        facts = cache.get(index)
        if facts is not None:
            cache.move_to_end(index)
            return facts
        number = self.numbers.number_of(index)
        facts = generate_company(
            self.seed, index, number, self.numbers.issued_fraction(number), self.as_of
        )
        cache[index] = facts
        if len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)
        return facts

    def company(self, number: str) -> CompanyFacts | None:
        """The current state of a company, or None if it is unknown or was deleted."""
        index = self.numbers.index_of(number)
        if index is None or index in self.overlay.removed:
            return None
        changed = self.overlay.companies.get(index)
        return changed if changed is not None else self.base_company(index)

    def profile(self, number: str) -> dict[str, Any] | None:
        """The REST company profile document of the current state."""
        facts = self.company(number)
        return None if facts is None else company_profile(facts)

    def update_company(self, facts: CompanyFacts) -> None:
        """Record a new state of a company (made with ``facts._replace(...)``)."""
        self.overlay.companies[facts.position] = facts
        self.overlay.changes += 1

    def remove_company(self, number: str) -> None:
        index = self._require(number)
        self.overlay.removed.add(index)
        self.overlay.changes += 1

    def _require(self, number: str) -> int:
        index = self.numbers.index_of(number)
        if index is None:
            raise KeyError(f"{number} is not a company of this population")
        return index

    # -- officers -----------------------------------------------------------------------------

    def force_officer_count(self, number: str, count: int) -> None:
        """Give a company exactly ``count`` appointments (current and resigned)."""
        if count < 0:
            raise ValueError("officer count must be >= 0")
        index = self._require(number)
        self._officer_counts[index] = count
        self.overlay.officers.pop(index, None)

    def officers(self, number: str) -> list[dict[str, Any]] | None:
        """All appointments of a company in CH's default order, or None if unknown."""
        facts = self.company(number)
        if facts is None:
            return None
        changed = self.overlay.officers.get(facts.position)
        if changed is not None:
            return changed
        count = self._officer_counts.get(facts.position, facts.officer_count)
        return generate_officers(self.seed, self.base_company(facts.position), count, self.as_of)

    def set_officers(self, number: str, items: list[dict[str, Any]]) -> None:
        """Replace a company's appointments (kept in CH's default order)."""
        index = self._require(number)
        self.overlay.officers[index] = sorted(items, key=sort_key)
        self.overlay.changes += 1

    # -- filings ------------------------------------------------------------------------------

    def record_filing(self, number: str, item: dict[str, Any]) -> None:
        index = self._require(number)
        self.overlay.filings.setdefault(index, []).append(item)
        self.overlay.changes += 1

    def filings(self, number: str) -> list[dict[str, Any]]:
        """Filings made after the snapshot date, newest first."""
        index = self._require(number)
        return list(reversed(self.overlay.filings.get(index, [])))
