"""officer-fetcher settings, from ``LEADPIPE_*`` environment variables."""

from leadpipe_runtime import BaseSettings


class Settings(BaseSettings, frozen=True, kw_only=True):
    """Settings of officer-fetcher; see ``BaseSettings`` for the shared ones."""

    ops_port: int = 9103
