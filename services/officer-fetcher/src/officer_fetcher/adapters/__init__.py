"""Adapters of officer-fetcher: its Postgres schema."""

__all__: list[str] = []
