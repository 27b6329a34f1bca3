"""SQL migrations of the officer_fetcher schema, applied in order at start-up and by setup."""
