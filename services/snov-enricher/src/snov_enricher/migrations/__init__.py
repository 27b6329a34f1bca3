"""SQL migrations of the snov_enricher schema, applied in order at start-up and by setup."""
