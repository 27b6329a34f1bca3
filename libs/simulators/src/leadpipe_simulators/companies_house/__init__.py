"""Companies House simulator: REST Public Data API, Streaming API and bulk snapshot files,
all consistent with one deterministic synthetic population (see ``server.py`` for use)."""

from .bulk import (
    MalformedLine,
    SnapshotResult,
    pick_malformed_rows,
    snapshot_name,
    write_snapshot,
    write_snapshot_parts,
)
from .bulk_rows import HEADER, HEADER_LINE
from .clock import AcceleratedClock, Clock, VirtualClock, wall_clock
from .company_facts import CompanyFacts
from .config import SimulatorConfig
from .faults import Fault, FaultInjector
from .population import DEFAULT_AS_OF, Population
from .reference_data import STRIKE_OFF_DETAIL, STRIKE_OFF_STATUS
from .request_log import RequestLog, RequestRecord
from .rest import RestSimulator
from .scenarios import EmittedEvent, Transition
from .server import CompaniesHouseSimulator
from .stream import STREAMS, StreamSimulator

__all__ = [
    "DEFAULT_AS_OF",
    "HEADER",
    "HEADER_LINE",
    "STREAMS",
    "STRIKE_OFF_DETAIL",
    "STRIKE_OFF_STATUS",
    "AcceleratedClock",
    "Clock",
    "CompaniesHouseSimulator",
    "CompanyFacts",
    "EmittedEvent",
    "Fault",
    "FaultInjector",
    "MalformedLine",
    "Population",
    "RequestLog",
    "RequestRecord",
    "RestSimulator",
    "SimulatorConfig",
    "SnapshotResult",
    "StreamSimulator",
    "Transition",
    "VirtualClock",
    "pick_malformed_rows",
    "snapshot_name",
    "wall_clock",
    "write_snapshot",
    "write_snapshot_parts",
]
