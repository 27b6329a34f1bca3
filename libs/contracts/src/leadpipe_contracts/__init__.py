"""Leadpipe's event contracts: every message between services, one module per family.

Import events from their family module (``from leadpipe_contracts.companies import
StrikeOffEntered``); this package root re-exports the base pieces and the codec. Evolution rules
are in ``README.md``.
"""

from leadpipe_contracts._base import Address, Event, derive_id, utcnow
from leadpipe_contracts.codec import Decoder, encode

__all__ = ["Address", "Decoder", "Event", "derive_id", "encode", "utcnow"]
