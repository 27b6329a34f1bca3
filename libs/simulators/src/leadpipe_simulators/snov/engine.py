"""The Snov.io simulator's state and rules, independent of HTTP.

Holds accounts and tokens, the per-client request window, the tasks and the credit ledger, and
completes tasks: a task completes once, at its ready time (the scheduler fires it) or at the first
/result poll after that time, whichever comes first; completion charges the account and, when the
task has a ``webhook_url``, hands the result body to the webhook dispatcher.

Credit choices (partly undocumented upstream): a task is charged all or nothing. If the account's
balance cannot cover every credit the task would cost (1 per domain found, 1 per e-mail returned),
nothing is charged and the task ends with status ``not_enough_credits`` and an empty ``data`` list.
The e-mail endpoint documents that status; the company-domain endpoint documents no out-of-credits
behaviour, and the simulator uses the same status there so one client rule covers both.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import msgspec

from leadpipe_simulators._common.clock import SimClock
from leadpipe_simulators._common.determinism import stable_hex
from leadpipe_simulators._common.rate_window import RollingWindow
from leadpipe_simulators._common.scheduler import Scheduler
from leadpipe_simulators.snov.accounts import Account, AccountBook, IssuedToken
from leadpipe_simulators.snov.config import NoDomainShape, SnovConfig
from leadpipe_simulators.snov.credits import ChargeRecord, CreditLedger
from leadpipe_simulators.snov.names import normalise_company_name
from leadpipe_simulators.snov.outcomes import OutcomeBook
from leadpipe_simulators.snov.tasks import EmailRow, Task, TaskState, TaskType
from leadpipe_simulators.snov.webhooks import WebhookDispatcher

_DAY = 86_400.0


class SnovEngine:
    """Accounts, tokens, rate windows, tasks and credits."""

    def __init__(
        self,
        config: SnovConfig,
        clock: SimClock,
        scheduler: Scheduler,
        webhooks: WebhookDispatcher,
    ) -> None:
        self.config = config
        self._clock = clock
        self._scheduler = scheduler
        self.webhooks = webhooks
        self.accounts = AccountBook(config.seed)
        self.accounts.add(config.client_id, config.client_secret, config.balance)
        self.outcomes = OutcomeBook(config.seed, config.no_domain_rate, config.no_domain_shapes)
        self.ledger = CreditLedger()
        self.tasks: dict[str, Task] = {}
        self.tasks_started: Counter[str] = Counter()
        self.rate_limited = 0
        self._task_numbers = itertools.count(1)
        self._windows: dict[str, RollingWindow] = {}
        self._epoch = clock.now()

    # --- tokens and limits -------------------------------------------------------------------

    def check_credentials(self, client_id: str, client_secret: str) -> Account | None:
        """The account the credentials belong to, or None."""
        return self.accounts.check_credentials(client_id, client_secret)

    def issue_token(self, account: Account) -> IssuedToken:
        """A fresh token for ``account``, valid for the configured lifetime."""
        return self.accounts.issue(account.client_id, self._clock.now(), self.config.token_lifetime)

    def authenticate(self, token: str | None) -> Account | None:
        """The account a token acts for, or None when it is missing, unknown or expired."""
        if not token:
            return None
        return self.accounts.resolve(token, self._clock.now())

    def allow_request(self, client_id: str) -> bool:
        """Count one request against the client's window; False when the window is full."""
        window = self._windows.get(client_id)
        if window is None:
            window = RollingWindow(self.config.rate_limit, self.config.rate_window)
            self._windows[client_id] = window
        if window.try_acquire(self._clock.now()):
            return True
        self.rate_limited += 1
        return False

    def reset_rate_windows(self) -> None:
        """Forget every request counted against the per-client windows."""
        self._windows.clear()

    # --- tasks -------------------------------------------------------------------------------

    def _new_task(
        self, task_type: TaskType, client_id: str, delay: float, webhook_url: str | None
    ) -> Task:
        number = next(self._task_numbers)
        now = self._clock.now()
        task = Task(
            task_hash=stable_hex(self.config.seed, "task", task_type.value, number),
            task_type=task_type,
            client_id=client_id,
            created_at=now,
            ready_at=now + delay,
            webhook_url=webhook_url,
        )
        self.tasks[task.task_hash] = task
        self.tasks_started[task_type.value] += 1
        return task

    def _schedule_completion(self, task: Task) -> None:
        async def complete() -> None:
            self.complete(task.task_hash)

        self._scheduler.call_at(task.ready_at, complete)

    def start_domain_task(self, client_id: str, names: list[str], webhook_url: str | None) -> Task:
        """Accept a company-domain-by-name batch."""
        task = self._new_task(
            TaskType.DOMAIN, client_id, self.config.domain_task_delay, webhook_url
        )
        task.names = list(names)
        self._schedule_completion(task)
        return task

    def start_email_task(
        self, client_id: str, rows: list[EmailRow], webhook_url: str | None
    ) -> Task:
        """Accept an emails-by-domain-by-name batch."""
        task = self._new_task(TaskType.EMAILS, client_id, self.config.email_task_delay, webhook_url)
        task.rows = list(rows)
        self._schedule_completion(task)
        return task

    def find_task(self, task_hash: str, task_type: TaskType, client_id: str) -> Task | None:
        """The caller's task of that type, completed first if it is due; None if not theirs."""
        task = self.tasks.get(task_hash)
        if task is None or task.task_type is not task_type or task.client_id != client_id:
            return None
        if not task.done and self._clock.now() >= task.ready_at:
            self.complete(task_hash)
        return task

    def complete(self, task_hash: str) -> None:
        """Finish a task: build its result, charge the account, push its webhook (idempotent)."""
        task = self.tasks[task_hash]
        if task.done:
            return
        if task.task_type is TaskType.DOMAIN:
            entries, items = self._domain_results(task.names)
        else:
            entries, items = self._email_results(task.rows)
        account = self.accounts.get(task.client_id)
        now = self._clock.now()
        if len(items) > account.balance:
            task.state = TaskState.NOT_ENOUGH_CREDITS
        else:
            task.state = TaskState.COMPLETED
            task.data = entries
            if items:
                account.balance -= len(items)
                self.ledger.record(
                    ChargeRecord(
                        account.client_id,
                        task.task_hash,
                        task.task_type.value,
                        len(items),
                        tuple(items),
                        now,
                    )
                )
        task.completed_at = now
        if task.webhook_url:
            body = msgspec.json.encode(task.result_body())
            self.webhooks.dispatch(task.task_hash, task.webhook_url, body)

    def _domain_results(self, names: list[str]) -> tuple[list[dict[str, Any]], list[str]]:
        entries: list[dict[str, Any]] = []
        paid: list[str] = []
        for name in names:
            outcome = self.outcomes.domain_for(name)
            if outcome.domain is not None:
                entries.append({"name": name, "result": {"domain": outcome.domain}})
                paid.append(normalise_company_name(name))
            elif outcome.missing_shape is NoDomainShape.NULL:
                entries.append({"name": name, "result": None})
            elif outcome.missing_shape is NoDomainShape.EMPTY_OBJECT:
                entries.append({"name": name, "result": {}})
            elif outcome.missing_shape is NoDomainShape.EMPTY_LIST:
                entries.append({"name": name, "result": []})
        return entries, paid

    def _email_results(self, rows: list[EmailRow]) -> tuple[list[dict[str, Any]], list[str]]:
        entries: list[dict[str, Any]] = []
        paid: list[str] = []
        for row in rows:
            found = self.outcomes.emails_for(row.first_name, row.last_name, row.domain)
            entries.append(
                {
                    "people": f"{row.first_name.strip()} {row.last_name.strip()}",
                    "result": [candidate.to_wire() for candidate in found],
                }
            )
            paid.extend(candidate.email.lower() for candidate in found)
        return entries, paid

    # --- balance -----------------------------------------------------------------------------

    def balance_body(self, account: Account) -> dict[str, Any]:
        """The get-balance response for ``account``."""
        days = int((self._clock.now() - self._epoch) // _DAY)
        period = self.config.billing_period_days
        return {
            "success": True,
            "data": {
                "balance": f"{account.balance:.2f}",
                "teamwork": False,
                "unique_recipients_used": 0,
                "limit_resets_in": period - days % period,
                "expires_in": max(0, self.config.subscription_days - days),
            },
        }
