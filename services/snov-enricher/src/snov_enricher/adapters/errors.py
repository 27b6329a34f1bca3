"""Errors of the Snov.io client, split by what the caller should do.

::

    SnovError
    ├── SnovTransientError      retry later (timeouts, connection failures, 5xx, 429)
    │                           ``maybe_started``: a start call may have reached Snov.io anyway,
    │                           so its items must not be re-sent until the batch is resolved
    ├── SnovOutOfCreditsError   the account has no credits: pause, keep the work
    └── SnovPermanentError      the request is wrong and will stay wrong (4xx, bad body)
        └── SnovAuthError       the credentials are refused: alert, stop calling
"""

from __future__ import annotations


class SnovError(Exception):
    """Base of every Snov.io client error.

    Attributes:
        status: The HTTP status when a response exists.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class SnovTransientError(SnovError):
    """The call may succeed later."""

    def __init__(
        self, message: str, *, status: int | None = None, maybe_started: bool = False
    ) -> None:
        super().__init__(message, status=status)
        self.maybe_started = maybe_started


class SnovOutOfCreditsError(SnovError):
    """Snov.io refused the call for lack of credits."""


class SnovPermanentError(SnovError):
    """The call is refused and will be refused again."""


class SnovAuthError(SnovPermanentError):
    """The client id / secret are not accepted."""
