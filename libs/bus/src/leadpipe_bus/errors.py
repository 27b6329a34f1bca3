"""What a handler can tell the consumer runner, split by what the runner should do.

::

    HandlerError
    ├── TransientError   retry later: nak with a delay (``Retry`` names the delay); after
    │                    max_deliver attempts the message is dead-lettered
    └── PermanentError   will never succeed: term + dead-letter at once

Any other exception from a handler is treated as transient (a database restart or a network
blip must not lose a message); ``asyncio.CancelledError`` is never acknowledged, so the message is
redelivered after the ack wait.
"""

from __future__ import annotations


class HandlerError(Exception):
    """Base of the outcomes a handler can signal."""


class TransientError(HandlerError):
    """The message may succeed later.

    Args:
        message: What went wrong.
        delay: Seconds before redelivery; None uses the consumer's retry schedule.
    """

    def __init__(self, message: str, *, delay: float | None = None) -> None:
        super().__init__(message)
        self.delay = delay


class Retry(TransientError):
    """Redeliver after exactly ``delay`` seconds (e.g. until a rate-limit window resets)."""

    def __init__(self, delay: float, message: str = "retry requested") -> None:
        super().__init__(message, delay=delay)


class PermanentError(HandlerError):
    """The message can never be processed as it is: dead-letter it."""


class PublishError(Exception):
    """A publish was not acknowledged by JetStream within its deadline."""
