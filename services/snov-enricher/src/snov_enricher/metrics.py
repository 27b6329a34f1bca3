"""Prometheus gauges of the credit position (the same figures CreditStatus events carry)."""

from __future__ import annotations

from prometheus_client import Gauge

CREDITS_CHARGED = Gauge(
    "leadpipe_snov_credits_charged", "Snov.io credits charged in the current billing period."
)
CREDITS_RESERVED = Gauge(
    "leadpipe_snov_credits_reserved", "Snov.io credits reserved by batches still running."
)
CREDIT_BUDGET = Gauge("leadpipe_snov_credit_budget", "The monthly credit budget.")
PAUSED = Gauge("leadpipe_snov_paused", "1 while enrichment is paused for credits, else 0.")
