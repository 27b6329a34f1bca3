"""Adapters of query-api: the read-model queries and the store of access state."""

__all__: list[str] = []
