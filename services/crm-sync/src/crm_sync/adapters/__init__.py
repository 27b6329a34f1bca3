"""crm-sync's adapters: the GoHighLevel client and the Postgres store."""

__all__ = ["ghl", "store"]
