"""Long-running jobs (imports, backfills, enrichment runs, replays): progress and commands.

Subjects: ``jobs.progress.<service>``, ``jobs.commands.<service>``.
"""

from __future__ import annotations

import enum

from leadpipe_contracts._base import Event


class JobState(enum.StrEnum):
    """Life cycle of a job."""

    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    FAILED = "failed"


class JobAction(enum.StrEnum):
    """What an operator can ask of a job."""

    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"


class JobProgress(Event, frozen=True, kw_only=True, tag="jobs.progress.v1"):
    """A snapshot of a job's progress; the newest per job wins.

    Attributes:
        sequence: Increases with every report of the same job, so readers keep the newest.
        rate_per_second: Recent throughput, from which ``eta_seconds`` is derived.
    """

    job_id: str
    job_type: str
    service: str
    state: JobState
    sequence: int
    done: int = 0
    total: int | None = None
    queued: int = 0
    failed: int = 0
    rate_per_second: float | None = None
    eta_seconds: float | None = None
    message: str | None = None


class JobCommand(Event, frozen=True, kw_only=True, tag="jobs.command.v1"):
    """An operator's command to the service that owns a job.

    Attributes:
        service: The owning service; the command is published on its subject.
    """

    job_id: str
    service: str
    action: JobAction
    requested_by: str


JobEvent = JobProgress | JobCommand
