"""webhook-receiver settings, from ``LEADPIPE_*`` environment variables."""

from leadpipe_runtime import BaseSettings


class Settings(BaseSettings, frozen=True, kw_only=True):
    """Settings of webhook-receiver; see ``BaseSettings`` for the shared ones."""

    ops_port: int = 9105
