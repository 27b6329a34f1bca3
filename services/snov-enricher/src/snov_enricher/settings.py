"""snov-enricher settings, from ``LEADPIPE_*`` environment variables."""

from leadpipe_runtime import BaseSettings


class Settings(BaseSettings, frozen=True, kw_only=True):
    """Settings of snov-enricher; see ``BaseSettings`` for the shared ones."""

    ops_port: int = 9104
