"""Prometheus metrics of ch-gateway, defined once per process."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from leadpipe_bus.telemetry import Label

QUEUE_DEPTH = Gauge(
    "ch_gateway_queue_depth",
    "Requests waiting per priority: in JetStream (backlog) or held by the gateway (held).",
    [Label.PRIORITY, Label.WHERE],
)
WAIT_SECONDS = Histogram(
    "ch_gateway_wait_seconds",
    "Time from a request's publication to its first upstream call (or its answer).",
    [Label.PRIORITY],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
CALLS_USED = Gauge("ch_gateway_calls_used", "Upstream calls made in the trailing window.")
CALLS_REMAINING = Gauge(
    "ch_gateway_calls_remaining", "Upstream calls the limiter still allows in the window."
)
UPSTREAM_REMAINING = Gauge(
    "ch_gateway_upstream_remaining", "The last X-Ratelimit-Remain Companies House sent."
)
BREAKER_STATE = Gauge(
    "ch_gateway_breaker_state",
    "1 for the breaker's current state, 0 for the others.",
    [Label.STATE],
)
LEADER = Gauge("ch_gateway_leader", "1 while this instance holds the leader lease.")
UPSTREAM_RESPONSES = Counter(
    "ch_gateway_upstream_responses_total",
    "Upstream answers by HTTP status (or 'timeout'/'connection' when none came).",
    [Label.STATUS],
)
RESPONSES = Counter(
    "ch_gateway_responses_total",
    "Responses published, by kind and status.",
    [Label.KIND, Label.STATUS],
)
COALESCED = Counter(
    "ch_gateway_coalesced_total", "Requests answered by another request's upstream calls."
)
UPSTREAM_SECONDS = Histogram(
    "ch_gateway_upstream_seconds",
    "Duration of one upstream call.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OVERHEAD_SECONDS = Histogram(
    "ch_gateway_overhead_seconds",
    "Gateway time on an upstream call's path, excluding the call itself and any wait for "
    "quota: from the grant to the request going out, and from the reply to the responses "
    "handed to the broker.",
    buckets=(
        0.0001,
        0.00025,
        0.0005,
        0.00075,
        0.001,
        0.0015,
        0.002,
        0.003,
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
        1,
    ),
)
ANSWER_SECONDS = Histogram(
    "ch_gateway_answer_seconds",
    "Time from handing a job's responses to the broker to their JetStream acknowledgements "
    "(in the background, outside the call's path).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
