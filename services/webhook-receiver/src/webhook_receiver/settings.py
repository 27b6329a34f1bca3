"""webhook-receiver settings, from ``LEADPIPE_*`` environment variables."""

from __future__ import annotations

from leadpipe_runtime import BaseSettings, Secret


class Settings(BaseSettings, frozen=True, kw_only=True):
    """Settings of webhook-receiver; see ``BaseSettings`` for the shared ones.

    Attributes:
        webhook_secret: HMAC key shared with snov-enricher; authenticates the webhook URL token.
        http_host / http_port: Where the public HTTP endpoint listens.
        max_body_bytes: Larger bodies are refused with 413 (1 MiB).
        rate_limit_requests / rate_limit_window_seconds: Requests one source IP may make per window
            before it gets 429.
        publish_timeout_seconds: How long a request may wait for JetStream's acknowledgement before
            answering 503; below Snov.io's 3 s answer deadline.
        trust_forwarded_for: Take the client address from ``X-Forwarded-For`` (behind a proxy).
    """

    ops_port: int = 9105
    webhook_secret: Secret
    http_host: str = "127.0.0.1"
    http_port: int = 8090
    max_body_bytes: int = 1_048_576
    rate_limit_requests: int = 120
    rate_limit_window_seconds: float = 60.0
    publish_timeout_seconds: float = 2.5
    trust_forwarded_for: bool = False

    def __post_init__(self) -> None:
        if len(self.webhook_secret.reveal()) < 16:
            raise ValueError("LEADPIPE_WEBHOOK_SECRET must be at least 16 characters")
        if self.max_body_bytes < 1:
            raise ValueError("LEADPIPE_MAX_BODY_BYTES must be positive")
        if not 0 < self.publish_timeout_seconds < 3:
            raise ValueError("LEADPIPE_PUBLISH_TIMEOUT_SECONDS must be between 0 and 3 seconds")
