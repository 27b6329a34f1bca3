"""Every JetStream stream, subject and durable consumer, declared once.

Names are given in their base form (``COMPANIES``, ``companies.observed``); a ``Topology`` adds
a namespace prefix so that tests (and, if wanted, tenants) share one server without sharing
streams. ``apply`` creates or updates everything idempotently; ``leadpipe setup`` and every
service at start-up call it.

Streams and who writes them:

=================  =========================  ===========  ==========================
stream             subjects                   retention    producers
=================  =========================  ===========  ==========================
COMPANIES          companies.>                limits       stream-ingest
CHGW_REQUESTS      chgw.requests.<priority>   work queue   officer-fetcher, stream-ingest, query-api
CHGW_RESPONSES     chgw.responses.<kind>      limits       ch-gateway
OFFICERS           officers.>                 limits       officer-fetcher
ENRICHMENT         enrichment.>               limits       snov-enricher
CONTACTS           contacts.>                 limits       snov-enricher
WEBHOOKS           webhooks.>                 limits       webhook-receiver
CRM                crm.>                      limits       crm-sync
JOBS               jobs.>                     limits       every service, query-api (commands)
PRIVACY            privacy.>                  limits       query-api, every service (completions)
STATUS             status.>                   limits       stream-ingest, ch-gateway, snov-enricher
DEADLETTER         deadletter.<consumer>      limits       the consumer runner
=================  =========================  ===========  ==========================
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from leadpipe_contracts import Event
from leadpipe_contracts.companies import (
    CompanyObserved,
    CompanyRecheckRequested,
    StrikeOffEntered,
    StrikeOffKindIdentified,
    StrikeOffLeft,
)
from leadpipe_contracts.crm import ContactDeleted, ContactSynced, ContactSyncFailed
from leadpipe_contracts.enrichment import ContactFound, DomainResolved
from leadpipe_contracts.gateway import GatewayRequest, GatewayResponse
from leadpipe_contracts.jobs import JobCommand, JobProgress
from leadpipe_contracts.officers import OfficersListed, OfficersPurged
from leadpipe_contracts.privacy import (
    PrivacyErasureCompleted,
    PrivacyErasureRequested,
    PrivacySuppressionLiftCompleted,
    PrivacySuppressionLifted,
)
from leadpipe_contracts.status import CreditStatus, DeadLetter, GatewayStatus, StreamStatus
from leadpipe_contracts.webhooks import SnovWebhookReceived

DAY = 86_400.0


@dataclasses.dataclass(frozen=True)
class StreamSpec:
    """A JetStream stream in base (un-namespaced) form.

    Attributes:
        duplicate_window: Seconds within which a repeated ``Nats-Msg-Id`` is dropped; longer than
            any publisher's retry horizon, short enough that the id index stays small.
        discard_new: Refuse new messages when full (a visible publish error) instead of silently
            deleting the oldest: right for work that must not vanish.
        atomic_publish: Accept JetStream atomic batches (ADR-50, server ≥ 2.12): a producer of
            many events stores up to 1,000 with one commit (one fsync) instead of one each.
    """

    name: str
    subjects: tuple[str, ...]
    work_queue: bool = False
    max_age: float | None = None
    max_msgs: int = -1
    max_bytes: int = -1
    max_msgs_per_subject: int = -1
    discard_new: bool = False
    duplicate_window: float = 3_600.0
    description: str = ""
    atomic_publish: bool = False


@dataclasses.dataclass(frozen=True)
class ConsumerSpec:
    """A durable pull consumer in base form.

    Attributes:
        ack_wait: Seconds a delivery may stay unacknowledged; the runner extends it with
            progress heartbeats while a handler runs, so it bounds how fast a crashed consumer's
            messages come back rather than how long a handler may take.
        max_deliver: Deliveries before the message is dead-lettered. Never unlimited.
        retry_delays: Nak delays after the 1st, 2nd, … failure (the last repeats).
        max_ack_pending: Outstanding deliveries; small for consumers that call external APIs.
        concurrency: Messages one runner handles at once.
    """

    service: str
    name: str
    stream: str
    filter_subjects: tuple[str, ...]  # empty: every subject of the stream
    ack_wait: float = 30.0
    max_deliver: int = 8
    retry_delays: tuple[float, ...] = (1.0, 5.0, 15.0, 60.0, 300.0)
    max_ack_pending: int = 512
    concurrency: int = 16
    deliver_new_only: bool = False

    @property
    def durable(self) -> str:
        """The durable name: ``<service>-<name>``."""
        return f"{self.service}-{self.name}"

    def retry_delay(self, failures: int) -> float:
        """The nak delay after ``failures`` failed deliveries (1-based)."""
        index = min(max(failures, 1), len(self.retry_delays)) - 1
        return self.retry_delays[index]

    def server_backoff(self) -> tuple[float, ...]:
        """Redelivery delays the server applies when an ack never comes (a crashed consumer).

        JetStream's BackOff replaces AckWait, its first value becoming the ack wait, so every
        step is at least ``ack_wait``; it has at most ``max_deliver`` entries.
        """
        steps = [max(self.ack_wait, delay) for delay in self.retry_delays]
        return tuple(steps[: self.max_deliver])


STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec(
        "COMPANIES",
        ("companies.>",),
        description="company observations and transitions",
        atomic_publish=True,
    ),
    StreamSpec(
        "CHGW_REQUESTS",
        ("chgw.requests.*",),
        work_queue=True,
        max_msgs_per_subject=250_000,
        discard_new=True,
        duplicate_window=900.0,
        description="Companies House REST requests by priority (work queue)",
    ),
    StreamSpec(
        "CHGW_RESPONSES",
        ("chgw.responses.*",),
        max_age=30 * DAY,
        description="Companies House REST responses",
    ),
    StreamSpec("OFFICERS", ("officers.>",), description="officer lists and purges"),
    StreamSpec("ENRICHMENT", ("enrichment.>",), description="domain search outcomes"),
    StreamSpec("CONTACTS", ("contacts.>",), description="contacts found: leads for the CRM"),
    StreamSpec("WEBHOOKS", ("webhooks.>",), max_age=30 * DAY, description="webhook deliveries"),
    StreamSpec("CRM", ("crm.>",), description="CRM sync outcomes"),
    StreamSpec("JOBS", ("jobs.>",), max_age=90 * DAY, description="job progress and commands"),
    StreamSpec("PRIVACY", ("privacy.>",), description="erasure requests and completions"),
    StreamSpec(
        "STATUS",
        ("status.>",),
        max_age=7 * DAY,
        max_msgs_per_subject=10_000,
        description="operational status: streams, quota, credits",
    ),
    StreamSpec(
        "DEADLETTER",
        ("deadletter.*",),
        max_age=90 * DAY,
        description="messages consumers gave up on",
    ),
)


def _privacy(service: str) -> ConsumerSpec:
    return ConsumerSpec(service, "privacy", "PRIVACY", ("privacy.erasure.requested",))


def _privacy_lifts(service: str) -> ConsumerSpec:
    # Only services that enforce suppression (refuse to store, enrich or sync a person) need to
    # hear that a suppression was lifted.
    return ConsumerSpec(service, "privacy-lifts", "PRIVACY", ("privacy.suppression.lifted",))


def _job_commands(service: str) -> ConsumerSpec:
    return ConsumerSpec(service, "job-commands", "JOBS", (f"jobs.commands.{service}",))


_QUERY_API_STREAMS = (
    "COMPANIES",
    "OFFICERS",
    "ENRICHMENT",
    "CONTACTS",
    "CRM",
    "JOBS",
    "PRIVACY",
    "STATUS",
    "DEADLETTER",
)

CONSUMERS: tuple[ConsumerSpec, ...] = (
    # stream-ingest: profiles it asked the gateway for (strike-off re-checks).
    ConsumerSpec(
        "stream-ingest", "profiles", "CHGW_RESPONSES", ("chgw.responses.company_profile",)
    ),
    ConsumerSpec("stream-ingest", "rechecks", "COMPANIES", ("companies.recheck",)),
    _privacy("stream-ingest"),
    _job_commands("stream-ingest"),
    # ch-gateway: one consumer per priority so the highest waiting priority is always served first.
    *(
        ConsumerSpec(
            "ch-gateway",
            priority,
            "CHGW_REQUESTS",
            (f"chgw.requests.{priority}",),
            # Short: the gateway heartbeats every held request, so this only bounds how soon
            # a killed leader's requests reach the next one.
            ack_wait=6.0,
            max_deliver=20,
            max_ack_pending=2_000,
            concurrency=64,
        )
        for priority in ("high", "normal", "low")
    ),
    # officer-fetcher
    ConsumerSpec(
        "officer-fetcher",
        "strikeoff",
        "COMPANIES",
        ("companies.strikeoff.entered", "companies.strikeoff.left"),
    ),
    ConsumerSpec(
        "officer-fetcher", "responses", "CHGW_RESPONSES", ("chgw.responses.officer_list",)
    ),
    _privacy("officer-fetcher"),
    _privacy_lifts("officer-fetcher"),
    _job_commands("officer-fetcher"),
    # snov-enricher
    ConsumerSpec("snov-enricher", "officers", "OFFICERS", ("officers.listed",), max_ack_pending=64),
    ConsumerSpec("snov-enricher", "webhooks", "WEBHOOKS", ("webhooks.snov.>",)),
    ConsumerSpec("snov-enricher", "strikeoff-left", "COMPANIES", ("companies.strikeoff.left",)),
    ConsumerSpec(
        "snov-enricher",
        "companies",
        "COMPANIES",
        ("companies.observed", "companies.strikeoff.entered", "companies.strikeoff.kind"),
    ),
    _privacy("snov-enricher"),
    _privacy_lifts("snov-enricher"),
    _job_commands("snov-enricher"),
    # webhook-receiver keeps request logs only, but still answers erasure requests.
    _privacy("webhook-receiver"),
    # crm-sync
    ConsumerSpec(
        "crm-sync", "contacts", "CONTACTS", ("contacts.found",), max_ack_pending=128, concurrency=8
    ),
    ConsumerSpec("crm-sync", "strikeoff-left", "COMPANIES", ("companies.strikeoff.left",)),
    _privacy("crm-sync"),
    _privacy_lifts("crm-sync"),
    # query-api: one projection consumer per stream it reads.
    *(
        ConsumerSpec("query-api", stream.lower(), stream, (), concurrency=1)
        for stream in _QUERY_API_STREAMS
    ),
)

SERVICES = (
    "stream-ingest",
    "ch-gateway",
    "officer-fetcher",
    "snov-enricher",
    "webhook-receiver",
    "crm-sync",
    "query-api",
)


def subject_for(event: Event) -> str:
    """The base subject an event is published on; the one place this mapping exists."""
    match event:
        case CompanyObserved():
            return "companies.observed"
        case StrikeOffEntered():
            return "companies.strikeoff.entered"
        case StrikeOffLeft():
            return "companies.strikeoff.left"
        case StrikeOffKindIdentified():
            return "companies.strikeoff.kind"
        case CompanyRecheckRequested():
            return "companies.recheck"
        case GatewayRequest(priority=priority):
            return f"chgw.requests.{priority}"
        case GatewayResponse(kind=kind):
            return f"chgw.responses.{kind}"
        case OfficersListed():
            return "officers.listed"
        case OfficersPurged():
            return "officers.purged"
        case DomainResolved():
            return "enrichment.domain.resolved"
        case ContactFound():
            return "contacts.found"
        case SnovWebhookReceived():
            return "webhooks.snov.received"
        case ContactSynced():
            return "crm.contact.synced"
        case ContactSyncFailed():
            return "crm.contact.failed"
        case ContactDeleted():
            return "crm.contact.deleted"
        case JobProgress(service=service):
            return f"jobs.progress.{service}"
        case JobCommand(service=service):
            return f"jobs.commands.{service}"
        case PrivacyErasureRequested():
            return "privacy.erasure.requested"
        case PrivacyErasureCompleted():
            return "privacy.erasure.completed"
        case PrivacySuppressionLifted():
            return "privacy.suppression.lifted"
        case PrivacySuppressionLiftCompleted():
            return "privacy.suppression.lift_completed"
        case StreamStatus(stream=stream):
            return f"status.stream.{stream}"
        case GatewayStatus():
            return "status.gateway"
        case CreditStatus():
            return "status.credits"
        case DeadLetter(consumer=consumer):
            return f"deadletter.{consumer}"
    raise ValueError(f"no subject declared for {type(event).__name__}")


@dataclasses.dataclass(frozen=True)
class Topology:
    """The declared topology under one namespace (empty in production).

    A namespace ``t1`` turns stream ``COMPANIES`` into ``T1_COMPANIES``, subject
    ``companies.observed`` into ``t1.companies.observed`` and durable ``crm-sync-contacts`` into
    ``t1-crm-sync-contacts``.
    """

    namespace: str = ""
    streams: tuple[StreamSpec, ...] = STREAMS
    consumers: tuple[ConsumerSpec, ...] = CONSUMERS

    def stream_name(self, base: str) -> str:
        """The real name of a stream."""
        return f"{self.namespace.upper()}_{base}" if self.namespace else base

    def subject(self, base: str) -> str:
        """The real subject for a base subject."""
        return f"{self.namespace}.{base}" if self.namespace else base

    def base_subject(self, subject: str) -> str:
        """Strip the namespace from a real subject."""
        prefix = f"{self.namespace}." if self.namespace else ""
        return subject[len(prefix) :] if prefix and subject.startswith(prefix) else subject

    def durable(self, spec: ConsumerSpec) -> str:
        """The real durable name of a consumer."""
        return f"{self.namespace}-{spec.durable}" if self.namespace else spec.durable

    def stream(self, base: str) -> StreamSpec:
        """Look up a stream by base name."""
        for spec in self.streams:
            if spec.name == base:
                return spec
        raise KeyError(f"no stream named {base!r} is declared")

    def consumer(self, service: str, name: str) -> ConsumerSpec:
        """Look up a consumer by service and name."""
        for spec in self.consumers:
            if spec.service == service and spec.name == name:
                return spec
        raise KeyError(f"no consumer {service}/{name} is declared")

    def consumers_of(self, service: str) -> tuple[ConsumerSpec, ...]:
        """The consumers a service owns."""
        return tuple(spec for spec in self.consumers if spec.service == service)

    def stream_for_subject(self, base_subject: str) -> StreamSpec:
        """The stream that captures a base subject."""
        for spec in self.streams:
            if any(_matches(pattern, base_subject) for pattern in spec.subjects):
                return spec
        raise KeyError(f"no stream captures subject {base_subject!r}")

    def with_consumers(self, extra: Iterable[ConsumerSpec]) -> Topology:
        """A copy with more consumers (tests declare throwaway ones this way)."""
        return dataclasses.replace(self, consumers=(*self.consumers, *extra))


def _matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` is one token, ``>`` the rest."""
    pattern_tokens, subject_tokens = pattern.split("."), subject.split(".")
    for index, part in enumerate(pattern_tokens):
        if part == ">":
            return len(subject_tokens) > index
        if index >= len(subject_tokens) or part not in ("*", subject_tokens[index]):
            return False
    return len(pattern_tokens) == len(subject_tokens)
