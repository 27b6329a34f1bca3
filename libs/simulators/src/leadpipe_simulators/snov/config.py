"""Configuration of the Snov.io simulator."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class NoDomainShape(StrEnum):
    """How a company-domain-by-name result shows a name with no domain (undocumented upstream)."""

    NULL = "null"  # {"name": ..., "result": null}
    EMPTY_OBJECT = "empty_object"  # {"name": ..., "result": {}}
    EMPTY_LIST = "empty_list"  # {"name": ..., "result": []}  (PHP encodes empty maps as lists)
    MISSING = "missing"  # no entry for the name at all


# Snov.io's documented per-task webhook retry ladder, after the immediate first attempt: +20 min,
# +40 min, +60 min, +4 h, +8 h, +24 h, each measured from the previous attempt (7 attempts).
WEBHOOK_RETRY_DELAYS: tuple[float, ...] = (1200.0, 2400.0, 3600.0, 14400.0, 28800.0, 86400.0)


@dataclass
class SnovConfig:
    """Everything the Snov.io simulator can be told at construction.

    Times are simulated seconds unless stated otherwise; ``clock`` is the time source and
    ``time_scale`` accelerates it (see ``_common.clock``).
    """

    client_id: str = "leadpipe-client"
    client_secret: str = "leadpipe-secret"  # noqa: S105 - a test credential, not a secret
    balance: int = 25_000
    seed: int = 0
    clock: Callable[[], float] = time.time
    time_scale: float = 1.0
    start_time: float | None = None
    token_lifetime: float = 3600.0
    domain_task_delay: float = 2.0
    email_task_delay: float = 4.0
    rate_limit: int = 60
    rate_window: float = 60.0
    no_domain_rate: float = 0.27
    no_domain_shapes: tuple[NoDomainShape, ...] = tuple(NoDomainShape)
    webhook_timeout: float = 3.0  # real seconds: a receiver must answer 2xx within this
    webhook_retry_delays: tuple[float, ...] = WEBHOOK_RETRY_DELAYS
    request_log_size: int = 100_000
    billing_period_days: int = 30
    subscription_days: int = 365
