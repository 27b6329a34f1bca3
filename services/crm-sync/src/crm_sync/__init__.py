"""crm-sync: Upserts enriched leads into GoHighLevel exactly once, paced to its rate limits."""

__all__: list[str] = []
