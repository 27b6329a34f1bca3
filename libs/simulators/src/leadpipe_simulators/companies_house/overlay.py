"""Changes made to the population after its snapshot date.

The base population is the register as of the snapshot date (what the bulk file shows). The
stream simulator, and tests directly, record later changes here; the REST API serves base +
overlay, so REST and stream agree about every company.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .company_facts import CompanyFacts


@dataclass
class Overlay:
    """Mutable per-company changes keyed by population index."""

    companies: dict[int, CompanyFacts] = field(default_factory=dict)
    removed: set[int] = field(default_factory=set)
    officers: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    filings: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    changes: int = 0  # bumps on every change; cheap staleness check for callers

    def clear(self) -> None:
        self.companies.clear()
        self.removed.clear()
        self.officers.clear()
        self.filings.clear()
        self.changes += 1
