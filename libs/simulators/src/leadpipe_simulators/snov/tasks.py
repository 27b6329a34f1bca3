"""Asynchronous Snov.io tasks (company-domain-by-name, emails-by-domain-by-name) and their bodies.

A task is created by a /start call, stays in progress for the configured processing delay, then
completes exactly once. The /result response and the webhook push share one body (see the
``snov_webhook_event.json`` fixture), rendered by :meth:`Task.result_body`.

Status spelling follows the vendor pages: ``in progress`` (with a space) on the company-domain
result and ``in_progress`` on the e-mail result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class TaskType(StrEnum):
    """The two task families the simulator serves, named after their URL paths."""

    DOMAIN = "company-domain-by-name"
    EMAILS = "emails-by-domain-by-name"


class TaskState(StrEnum):
    """Where a task is in its life."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    NOT_ENOUGH_CREDITS = "not_enough_credits"


@dataclass(frozen=True)
class EmailRow:
    """One person to look up: a row of an emails-by-domain-by-name start call."""

    first_name: str
    last_name: str
    domain: str

    def to_wire(self) -> dict[str, str]:
        """The row as echoed in ``meta.rows``."""
        return {"first_name": self.first_name, "last_name": self.last_name, "domain": self.domain}


@dataclass
class Task:
    """One start call's work and, once complete, its result entries."""

    task_hash: str
    task_type: TaskType
    client_id: str
    created_at: float
    ready_at: float
    webhook_url: str | None
    names: list[str] = field(default_factory=list)
    rows: list[EmailRow] = field(default_factory=list)
    state: TaskState = TaskState.IN_PROGRESS
    data: list[dict[str, Any]] = field(default_factory=list)
    completed_at: float | None = None

    @property
    def done(self) -> bool:
        """Whether the task has reached a final state."""
        return self.state is not TaskState.IN_PROGRESS

    def meta(self) -> dict[str, Any]:
        """The ``meta`` object of the result body."""
        if self.task_type is TaskType.DOMAIN:
            return {"names": list(self.names), "task_hash": self.task_hash}
        return {"rows": [row.to_wire() for row in self.rows], "task_hash": self.task_hash}

    def status_text(self) -> str:
        """The ``status`` value as this endpoint family spells it."""
        if self.state is TaskState.IN_PROGRESS and self.task_type is TaskType.DOMAIN:
            return "in progress"
        return self.state.value

    def result_body(self) -> dict[str, Any]:
        """The /result response body, also pushed to the task's webhook_url."""
        return {"status": self.status_text(), "data": list(self.data), "meta": self.meta()}

    def start_body(self) -> dict[str, Any]:
        """The /start response body."""
        meta = self.meta()
        del meta["task_hash"]
        return {"data": {"task_hash": self.task_hash}, "meta": meta}

    def summary(self) -> dict[str, Any]:
        """A JSON-ready description for /_sim/ inspection."""
        return {
            "task_hash": self.task_hash,
            "task_type": self.task_type.value,
            "client_id": self.client_id,
            "state": self.state.value,
            "created_at": self.created_at,
            "ready_at": self.ready_at,
            "completed_at": self.completed_at,
            "webhook_url": self.webhook_url,
        }
