"""``SnovSimulator``: the Snov.io API as a real HTTP server, with controls for tests.

Serves the token, get-balance, company-domain-by-name and emails-by-domain-by-name endpoints (see
``api``), completes tasks after a processing delay (``engine``), pushes per-task webhooks on the
documented retry ladder (``webhooks``) and charges credits once per completed task (``credits``).
Every control here is also reachable over HTTP under /_sim/ (``admin``) for a simulator running in
another process.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from leadpipe_simulators._common.clock import SimClock
from leadpipe_simulators._common.faults import HttpFaults
from leadpipe_simulators._common.server import HttpSimulator
from leadpipe_simulators.snov.admin import SnovAdmin
from leadpipe_simulators.snov.api import SnovApi
from leadpipe_simulators.snov.config import NoDomainShape, SnovConfig
from leadpipe_simulators.snov.credits import ChargeRecord
from leadpipe_simulators.snov.engine import SnovEngine
from leadpipe_simulators.snov.outcomes import EmailCandidate
from leadpipe_simulators.snov.tasks import Task
from leadpipe_simulators.snov.webhooks import DeliveryState, WebhookAttempt, WebhookDispatcher


class SnovSimulator(HttpSimulator):
    """A running-on-demand Snov.io API with deterministic outcomes and fault switches."""

    def __init__(self, config: SnovConfig | None = None) -> None:
        self.config = config or SnovConfig()
        clock = SimClock(
            self.config.clock, time_scale=self.config.time_scale, start=self.config.start_time
        )
        super().__init__(clock, self.config.request_log_size)
        self.faults = HttpFaults()
        self.webhooks = WebhookDispatcher(
            clock, self.scheduler, self.config.webhook_retry_delays, self.config.webhook_timeout
        )
        self.engine = SnovEngine(self.config, clock, self.scheduler, self.webhooks)

    def _build_app(self) -> web.Application:
        app = web.Application()
        SnovApi(self.engine, self.clock, self.faults, self.request_log).install(app)
        SnovAdmin(self).install(app)
        return app

    async def _on_start(self) -> None:
        await self.webhooks.open()

    async def _on_stop(self) -> None:
        await self.webhooks.close()

    # --- accounts and credits ----------------------------------------------------------------

    def _client(self, client_id: str | None) -> str:
        return client_id or self.config.client_id

    def add_account(self, client_id: str, client_secret: str, balance: int = 0) -> None:
        """Create (or replace) another API account."""
        self.engine.accounts.add(client_id, client_secret, balance)

    def issue_token(self, client_id: str | None = None) -> str:
        """A valid access token without calling the token endpoint."""
        return self.engine.issue_token(self.engine.accounts.get(self._client(client_id))).token

    def balance(self, client_id: str | None = None) -> int:
        """Credits left on the account."""
        return self.engine.accounts.get(self._client(client_id)).balance

    def set_balance(self, credits: int, client_id: str | None = None) -> None:
        """Set the account's balance."""
        if credits < 0:
            raise ValueError("a balance cannot be negative")
        self.engine.accounts.get(self._client(client_id)).balance = credits

    def add_credits(self, credits: int, client_id: str | None = None) -> int:
        """Refill the account; returns the new balance."""
        account = self.engine.accounts.get(self._client(client_id))
        account.balance = max(0, account.balance + credits)
        return account.balance

    def credits_spent(self, task_type: str | None = None, client_id: str | None = None) -> int:
        """Credits charged, optionally for one task type (a ``TaskType`` value) and/or account."""
        return self.engine.ledger.spent(task_type, client_id)

    def credits_spent_by_type(self) -> dict[str, int]:
        """Credits charged per task type."""
        return self.engine.ledger.spent_by_type()

    def credits_for_task(self, task_hash: str) -> int:
        """Credits charged for one task."""
        return self.engine.ledger.for_task(task_hash)

    def charges(self, client_id: str | None = None) -> list[ChargeRecord]:
        """Every charge, oldest first."""
        return self.engine.ledger.records(client_id)

    def items_paid_more_than_once(self) -> dict[tuple[str, str], int]:
        """``(task_type, normalised name or e-mail) -> times paid`` where paid more than once."""
        return self.engine.ledger.items_paid_more_than_once()

    # --- outcomes ----------------------------------------------------------------------------

    def set_domain(self, name: str, domain: str | None, shape: NoDomainShape | None = None) -> None:
        """Force the domain found for a company name (None: not found, shown as ``shape``)."""
        self.engine.outcomes.set_domain(name, domain, shape)

    def set_emails(
        self, first_name: str, last_name: str, domain: str, emails: list[EmailCandidate]
    ) -> None:
        """Force the e-mails found for a person at a domain ([] = none found)."""
        self.engine.outcomes.set_emails(first_name, last_name, domain, emails)

    def clear_overrides(self) -> None:
        """Drop every forced outcome."""
        self.engine.outcomes.clear_overrides()

    def expected_domain(self, name: str) -> str | None:
        """The domain a lookup of ``name`` would find now (no request, no charge)."""
        return self.engine.outcomes.domain_for(name).domain

    def expected_emails(
        self, first_name: str, last_name: str, domain: str
    ) -> tuple[EmailCandidate, ...]:
        """The e-mails a lookup would find now (no request, no charge)."""
        return self.engine.outcomes.emails_for(first_name, last_name, domain)

    # --- tasks and webhooks ------------------------------------------------------------------

    def tasks(self) -> list[Task]:
        """Every task started, oldest first."""
        return list(self.engine.tasks.values())

    def task(self, task_hash: str) -> Task:
        """One task; KeyError if unknown."""
        return self.engine.tasks[task_hash]

    def webhook_attempts(self, task_hash: str | None = None) -> list[WebhookAttempt]:
        """Every webhook POST made (url, status, simulated time), oldest first."""
        return self.webhooks.attempts(task_hash)

    def webhook_states(self, task_hash: str | None = None) -> list[DeliveryState]:
        """The state of each push copy (pending / delivered / abandoned)."""
        return self.webhooks.states(task_hash)

    def dropped_webhooks(self) -> list[str]:
        """Task hashes whose push was deliberately lost."""
        return self.webhooks.dropped()

    def drop_webhooks(self, count: int = 1, task_hash: str | None = None) -> None:
        """Lose the push of ``task_hash``, or of the next ``count`` tasks that complete."""
        self.webhooks.faults.drop(count, task_hash)

    def duplicate_webhooks(
        self, copies: int = 2, count: int = 1, task_hash: str | None = None
    ) -> None:
        """Deliver the push of ``task_hash`` (or the next ``count`` tasks) ``copies`` times."""
        self.webhooks.faults.duplicate(copies, count, task_hash)

    # --- API faults --------------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer the next ``count`` API calls with a 5xx."""
        self.faults.fail_next(count, status)

    def set_latency(self, seconds: float) -> None:
        """Delay every API call by ``seconds`` of real time."""
        self.faults.set_latency(seconds)

    def clear_faults(self) -> None:
        """Switch off API faults and webhook faults."""
        self.faults.clear()
        self.webhooks.faults.clear()

    # --- inspection --------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counters: requests, tasks, credits, balances, webhooks, faults."""
        return {
            "now": self.clock.now(),
            "requests": self.request_log.total,
            "by_status": {str(k): v for k, v in sorted(self.request_log.by_status.items())},
            "rate_limited": self.engine.rate_limited,
            "tasks_started": dict(self.engine.tasks_started),
            "credits_spent": self.credits_spent_by_type(),
            "balances": {a.client_id: a.balance for a in self.engine.accounts.all()},
            "webhooks": self.webhooks.counts(),
            "webhook_faults": self.webhooks.faults.pending_rules(),
            "faults": self.faults.snapshot(),
        }
