"""crm-sync: upserts enriched leads into GoHighLevel exactly once, paced to its rate limits.

Modules: ``domain`` (mapping, hashing, tags, person keys — pure), ``pacing`` (rate budget),
``fields`` (custom field ids), ``handlers``, ``ports``, ``adapters`` (GoHighLevel client, Postgres
store), ``bootstrap`` (composition root), ``settings``.
"""

__all__: list[str] = []
