"""Adapters of stream-ingest: Postgres repository, the streaming HTTP client, file sources."""

__all__: list[str] = []
