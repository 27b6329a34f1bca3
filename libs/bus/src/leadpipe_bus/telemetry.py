"""Span names, span attribute names and metric label keys, defined once for every service.

Trace queries, dashboards and alerts match these strings, so code never spells them out. Names
follow the OpenTelemetry semantic conventions where one exists (``messaging.*``, ``http.*``,
``server.*``, ``url.*``, ``error.type``, ``peer.service``); Leadpipe's own start with ``leadpipe.``.

Personal data never becomes an attribute: no officer name, e-mail address or request body. The
most specific values recorded are company numbers, batch ids, subjects and URL templates (never a
query string, which may carry a webhook token or a searched name).
"""

from __future__ import annotations

from typing import Final


class SpanName:
    """Span names; variable parts are the low-cardinality ones (consumer, stream, kind, route)."""

    GATEWAY_CALL: Final = "ch-gateway call"
    """One Companies House call made for one or more (coalesced) requests."""

    @staticmethod
    def consume(consumer: str) -> str:
        """Processing one message by a durable consumer (base name, without namespace)."""
        return f"consume {consumer}"

    @staticmethod
    def ingest(stream: str) -> str:
        """One Companies House stream event turned into published events."""
        return f"ingest {stream}"

    @staticmethod
    def snov_start(kind: str) -> str:
        """Starting one Snov.io task (``domain`` or ``emails``) for a batch."""
        return f"snov start {kind}"

    @staticmethod
    def snov_fetch(kind: str) -> str:
        """Fetching the result of one Snov.io task."""
        return f"snov fetch {kind}"

    @staticmethod
    def snov_apply(kind: str) -> str:
        """Applying one batch item's Snov.io result (one cache key)."""
        return f"snov apply {kind}"

    @staticmethod
    def http(method: str, route: str) -> str:
        """An HTTP client or server span: ``{method} {route template}``."""
        return f"{method} {route}"


class Attr:
    """Span attribute names."""

    # OpenTelemetry messaging conventions.
    MESSAGING_SYSTEM: Final = "messaging.system"
    MESSAGING_DESTINATION: Final = "messaging.destination.name"
    MESSAGING_CONSUMER_GROUP: Final = "messaging.consumer.group.name"
    MESSAGING_MESSAGE_ID: Final = "messaging.message.id"
    MESSAGING_OPERATION: Final = "messaging.operation.type"
    MESSAGING_DELIVERY_COUNT: Final = "messaging.message.delivery_count"
    # OpenTelemetry HTTP conventions.
    HTTP_METHOD: Final = "http.request.method"
    HTTP_STATUS: Final = "http.response.status_code"
    HTTP_ROUTE: Final = "http.route"
    URL_TEMPLATE: Final = "url.template"
    SERVER_ADDRESS: Final = "server.address"
    SERVER_PORT: Final = "server.port"
    PEER_SERVICE: Final = "peer.service"
    ERROR_TYPE: Final = "error.type"
    # Leadpipe's own.
    SERVICE: Final = "leadpipe.service"
    EVENT_TYPE: Final = "leadpipe.event.type"
    CORRELATION_ID: Final = "leadpipe.correlation_id"
    COMPANY_NUMBER: Final = "leadpipe.company_number"
    CH_STREAM: Final = "leadpipe.ch.stream"
    CH_TIMEPOINT: Final = "leadpipe.ch.timepoint"
    GATEWAY_PRIORITY: Final = "leadpipe.gateway.priority"
    GATEWAY_REQUEST_KIND: Final = "leadpipe.gateway.request_kind"
    GATEWAY_COALESCED: Final = "leadpipe.gateway.coalesced"
    GATEWAY_CALLS: Final = "leadpipe.gateway.calls"
    SNOV_BATCH_ID: Final = "leadpipe.snov.batch_id"
    SNOV_BATCH_KIND: Final = "leadpipe.snov.batch_kind"
    SNOV_BATCH_SIZE: Final = "leadpipe.snov.batch_size"


class Value:
    """Attribute values that are fixed strings."""

    NATS: Final = "nats"
    PROCESS: Final = "process"
    RECEIVE: Final = "receive"
    COMPANIES_HOUSE: Final = "companies-house"
    SNOV: Final = "snov.io"
    GOHIGHLEVEL: Final = "gohighlevel"


class Label:
    """Prometheus label keys (metric names stay with their declarations)."""

    CONSUMER: Final = "consumer"
    OUTCOME: Final = "outcome"
    SUBJECT: Final = "subject"
    DUPLICATE: Final = "duplicate"
    STREAM: Final = "stream"
    CHANGE: Final = "change"
    SOURCE: Final = "source"
    PRIORITY: Final = "priority"
    WHERE: Final = "where"
    STATE: Final = "state"
    STATUS: Final = "status"
    KIND: Final = "kind"
