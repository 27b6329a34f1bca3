"""ch-gateway's adapters: the Companies House HTTP client, the Postgres lease and call log, and
the priority feeder of JetStream request messages."""

__all__: list[str] = []
