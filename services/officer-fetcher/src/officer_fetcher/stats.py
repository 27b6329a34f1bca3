"""``leadpipe stats``: pipeline progress from this service's schema and the published events.

Strike-off companies and officer lists come from officer-fetcher's own tables. Domains, e-mails
and CRM syncs are counted (distinct companies) from the events snov-enricher and crm-sync
publish, and the quota from the gateway's latest ``GatewayStatus``; no other service's code or
schema is read.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable

import msgspec
import nats.errors
from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import NotFoundError

from leadpipe_bus import Topology
from leadpipe_contracts import Decoder
from leadpipe_contracts.crm import ContactSynced
from leadpipe_contracts.enrichment import ContactFound, DomainResolved
from leadpipe_contracts.status import GatewayStatus
from leadpipe_db import Database


@dataclasses.dataclass(frozen=True)
class PipelineStats:
    """The funnel, by company, plus the gateway's quota and queues."""

    in_strike_off: int
    with_officers: int
    with_individual_director: int
    officers_stored: int
    with_domain: int
    with_email: int
    synced_to_crm: int
    gateway_used: int | None
    gateway_limit: int | None
    gateway_window_seconds: float | None
    gateway_breaker: str | None
    gateway_queue: dict[str, int]


async def _own_counts(db: Database) -> tuple[int, int, int, int]:
    async with db.transaction() as connection:
        row = await connection.fetchrow(
            """
            SELECT count(*) FILTER (WHERE in_strike_off) AS in_strike_off,
                   count(*) FILTER (WHERE in_strike_off AND officers_fetched_at IS NOT NULL)
                       AS with_officers,
                   (SELECT count(DISTINCT o.company_number) FROM officers o
                      JOIN companies c USING (company_number)
                     WHERE c.in_strike_off AND o.is_lead AND o.kind = 'individual'
                       AND o.role IN ('director', 'nominee-director', 'llp-designated-member',
                                      'llp-member', 'managing-officer')) AS with_director,
                   (SELECT count(*) FROM officers) AS officers
            FROM companies
            """
        )
    return row["in_strike_off"], row["with_officers"], row["with_director"], row["officers"]


async def _distinct_companies(
    js: JetStreamContext,
    stream: str,
    subject: str,
    key: Callable[[bytes], str | None],
) -> int:
    """Distinct company numbers among the messages on ``subject`` (read once, in order)."""
    try:
        info = await js.stream_info(stream, subjects_filter=subject)
    except NotFoundError:
        return 0
    expected = (info.state.subjects or {}).get(subject, 0)
    if not expected:
        return 0
    seen: set[str] = set()
    config = js_api.ConsumerConfig(
        deliver_policy=js_api.DeliverPolicy.ALL,
        ack_policy=js_api.AckPolicy.NONE,
        inactive_threshold=30.0,
    )
    subscription = await js.pull_subscribe(subject, stream=stream, config=config)
    read = 0
    try:
        while read < expected:
            try:
                messages = await subscription.fetch(min(1_000, expected - read), timeout=2.0)
            except (TimeoutError, nats.errors.TimeoutError):
                break
            for message in messages:
                read += 1
                with contextlib.suppress(msgspec.DecodeError):
                    number = key(message.data)
                    if number:
                        seen.add(number)
    finally:
        with contextlib.suppress(Exception):
            await subscription.unsubscribe()
    return len(seen)


_domain: Decoder[DomainResolved] = Decoder(DomainResolved)
_contact: Decoder[ContactFound] = Decoder(ContactFound)
_synced: Decoder[ContactSynced] = Decoder(ContactSynced)
_gateway: Decoder[GatewayStatus] = Decoder(GatewayStatus)


def _domain_found(data: bytes) -> str | None:
    event = _domain.decode(data)
    return event.company_number if event.found else None


async def collect(db: Database, js: JetStreamContext, topology: Topology) -> PipelineStats:
    """Gather the pipeline's progress."""
    in_strike_off, with_officers, with_director, officers = await _own_counts(db)
    with_domain = await _distinct_companies(
        js,
        topology.stream_name("ENRICHMENT"),
        topology.subject("enrichment.domain.resolved"),
        _domain_found,
    )
    with_email = await _distinct_companies(
        js,
        topology.stream_name("CONTACTS"),
        topology.subject("contacts.found"),
        lambda data: _contact.decode(data).company.company_number,
    )
    synced = await _distinct_companies(
        js,
        topology.stream_name("CRM"),
        topology.subject("crm.contact.synced"),
        lambda data: _synced.decode(data).company_number,
    )
    status: GatewayStatus | None = None
    with contextlib.suppress(NotFoundError, msgspec.DecodeError):
        raw = await js.get_last_msg(
            topology.stream_name("STATUS"), topology.subject("status.gateway")
        )
        status = _gateway.decode(raw.data or b"")
    queue: dict[str, int] = {}
    with contextlib.suppress(NotFoundError):
        info = await js.stream_info(
            topology.stream_name("CHGW_REQUESTS"), subjects_filter=topology.subject(">")
        )
        for subject, count in (info.state.subjects or {}).items():
            queue[topology.base_subject(subject).rsplit(".", 1)[-1]] = count
    return PipelineStats(
        in_strike_off=in_strike_off,
        with_officers=with_officers,
        with_individual_director=with_director,
        officers_stored=officers,
        with_domain=with_domain,
        with_email=with_email,
        synced_to_crm=synced,
        gateway_used=status.used_in_window if status else None,
        gateway_limit=status.limit if status else None,
        gateway_window_seconds=status.window_seconds if status else None,
        gateway_breaker=status.breaker if status else None,
        gateway_queue=queue,
    )
