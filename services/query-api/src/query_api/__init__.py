"""query-api: REST API, live feed and dashboard over a read model built from every event."""

__all__: list[str] = []
