"""Adapters of snov-enricher: the Snov.io client and its pacing, and the Postgres state."""

from snov_enricher.adapters.errors import (
    SnovAuthError,
    SnovError,
    SnovOutOfCreditsError,
    SnovPermanentError,
    SnovTransientError,
)
from snov_enricher.adapters.pacer import Pacer
from snov_enricher.adapters.snov_client import SnovClient

__all__ = [
    "Pacer",
    "SnovAuthError",
    "SnovClient",
    "SnovError",
    "SnovOutOfCreditsError",
    "SnovPermanentError",
    "SnovTransientError",
]
