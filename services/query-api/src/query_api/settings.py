"""query-api settings, from ``LEADPIPE_*`` environment variables."""

from leadpipe_runtime import BaseSettings, Secret


class Settings(BaseSettings, frozen=True, kw_only=True):
    """Settings of query-api; see ``BaseSettings`` for the shared ones.

    Attributes:
        http_host / http_port: Where the public API and dashboard listen.
        jwt_secret: HMAC key that signs access tokens (``LEADPIPE_JWT_SECRET``, required).
        token_ttl_seconds: Lifetime of an access token from the token endpoint.
        rate_limit_per_minute: Default per-key request budget per window (a key may override it).
        rate_limit_window_seconds: The rate-limit window (a minute; longer in tests).
        retention_days: How long personal data of companies that left strike-off is kept
            (surfaced to operators; officer-fetcher applies it and publishes ``OfficersPurged``).
        webhook_max_attempts: Deliveries of one outbound webhook before it is given up.
        webhook_timeout_seconds: Timeout of one outbound webhook delivery.
        webhook_retry_base_seconds: First retry delay of a failed delivery (doubling, capped at
            an hour).
        feed_poll_seconds: How often live-feed streams look for new entries.
        read_pool_size: Postgres connections of the read endpoints (besides the service pool).
    """

    ops_port: int = 9107
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    jwt_secret: Secret
    token_ttl_seconds: int = 900
    rate_limit_per_minute: int = 600
    rate_limit_window_seconds: int = 60
    retention_days: int = 90
    webhook_max_attempts: int = 8
    webhook_timeout_seconds: float = 10.0
    webhook_retry_base_seconds: float = 5.0
    feed_poll_seconds: float = 0.5
    read_pool_size: int = 8

    def __post_init__(self) -> None:
        """Refuse a signing key too short for HS256 (RFC 7518 §3.2: at least 256 bits)."""
        if len(self.jwt_secret.reveal().encode()) < 32:
            raise ValueError("LEADPIPE_JWT_SECRET must be at least 32 bytes")
