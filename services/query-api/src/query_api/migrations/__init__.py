"""SQL migrations of the query_api schema, applied in order at start-up and by setup."""
