"""What stream-ingest must publish for a simulated backlog, computed from the stream itself."""

from __future__ import annotations

import msgspec

from leadpipe_simulators.companies_house import CompaniesHouseSimulator
from stream_ingest.envelope import CompanyEnvelope


def expected_observations(sim: CompaniesHouseSimulator) -> set[str]:
    """Ids of the profile events whose etag differs from the company's previous one: changes.

    Assumes stream-ingest knew no etag of these companies before the retained stream.
    """
    log = sim.stream.logs["companies"]
    decoder = msgspec.json.Decoder(CompanyEnvelope)
    last_etag: dict[str, str | None] = {}
    expected: set[str] = set()
    for timepoint in range(log.first_retained, log.next_timepoint):
        event = decoder.decode(log.line(timepoint))
        if event.data is None:
            continue
        number = event.data.company_number
        if number not in last_etag or last_etag[number] != event.data.etag:
            expected.add(f"companies:{timepoint}")
        last_etag[number] = event.data.etag
    return expected
